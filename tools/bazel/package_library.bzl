"""A package whose every Python file belongs to one library named after it.

The layers of talk_backend and the test support packages (fakes, harness) are
each that: what differs is the dependency list (which says what the layer may
import), the visibility and, for test support, `testonly`.
"""

load("@rules_python//python:py_library.bzl", "py_library")

# Test support is for the test packages and the runner targets of the root package.
TEST_SUPPORT_VISIBILITY = [
    "//:__pkg__",
    "//tests:__subpackages__",
]

def package_library(deps, visibility = ["//visibility:public"], **kwargs):
    """py_library `<package's last path element>` with srcs = every .py file below.

    Args:
      deps: what the package may import (targets in other packages, @pypi//...).
      visibility: who may depend on it.
      **kwargs: passed to py_library (data, testonly, ...).
    """
    py_library(
        name = native.package_name().split("/")[-1],
        srcs = native.glob(["**/*.py"]),
        visibility = visibility,
        deps = deps,
        **kwargs
    )
