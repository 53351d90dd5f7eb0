"""Stand-in: the legacy defs.bzl entry point, for BUILD files that still use it."""

load("//python/private:py_rules.bzl", _py_binary = "py_binary", _py_test = "py_test")

py_binary = _py_binary
py_library = native.py_library
py_test = _py_test
