"""One py_test per pytest module, run by tools/bazel/pytest_main.py.

`pytest_suite` globs a test tree so that adding a test file adds a target; the
target is named after the file's path (`application/usecase/auth/test_sign_in_integration`),
so `bazel test //tests/integration:application/...` reads like the tree.
"""

load("@rules_python//python:py_library.bzl", "py_library")
load("@rules_python//python:py_test.bzl", "py_test")

_MAIN = "//tools/bazel:pytest_main.py"

# `requires-network` keeps the host network, where testcontainers publishes
# PostgreSQL on 127.0.0.1. `requires-docker` is only a convention: tags never reach
# a remote executor, so the same need is said in exec_properties below. The tests
# run sandboxed: the harness keeps pgserver's data under TEST_TMPDIR and tells
# runs apart by a lock each run holds, not by PIDs (the sandbox has its own).
INTEGRATION_TAGS = ["integration", "requires-docker", "requires-network"]

# What a Docker-using test asks of a remote worker (Google-RBE-style keys; see
# docs/bazel.md for other services): the host network and the worker's Docker
# engine for sibling containers. The image under test must be on that engine,
# and testcontainers must be told its host (TESTCONTAINERS_HOST_OVERRIDE).
DOCKER_EXEC_PROPERTIES = {
    "dockerNetwork": "standard",
    "dockerPrivileged": "true",
    "dockerSiblingContainers": "true",
}

# Ryuk's image cannot be pulled here, and testcontainers must reach published
# ports on localhost, not through the bridge gateway it guesses from /.dockerenv.
_INTEGRATION_ENV = {
    "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
    "TESTCONTAINERS_RYUK_DISABLED": "true",
}

# The harness builds the schema with Alembic; this is where it finds alembic.ini
# (relative to the runfiles root; pytest_main makes it absolute).
_MIGRATIONS_ENV = {"TALK_ALEMBIC_INI": "alembic.ini"}

# Targets whose tests only need databases of their own may use the server that
# `bazel test --config=reuse` keeps (pytest_main.py). Tests of the harness's own
# server handling (tests/faults) and tests that start `serve` with its own server
# keep starting theirs.
_KEPT_SERVER_ENV = {"TALK_BAZEL_KEPT_SERVER_OK": "1"}

def pytest_test(name, src, deps = [], data = [], integration = False, kept_server = False, env = {}, tags = [], exec_properties = {}, **kwargs):
    """A py_test that runs one pytest module under the Bazel test protocol.

    Args:
      name: target name.
      src: the test module, relative to this package.
      deps: libraries the module imports (conftest libraries included).
      data: extra runtime files.
      integration: tag as an integration test and give it PostgreSQL settings.
      kept_server: under --config=reuse, use the server kept for the invocation.
      env: extra environment for the test.
      tags: extra tags.
      exec_properties: extra exec properties (integration tests get DOCKER_EXEC_PROPERTIES).
      **kwargs: passed to py_test (shard_count, size, timeout, ...).
    """
    properties = dict(DOCKER_EXEC_PROPERTIES) if integration else {}
    properties.update(exec_properties)
    test_env = dict(_MIGRATIONS_ENV)
    test_env.update(_INTEGRATION_ENV if integration else {})
    test_env.update(_KEPT_SERVER_ENV if kept_server else {})
    test_env.update(env)
    py_test(
        name = name,
        srcs = [_MAIN, src],
        main = _MAIN,
        # Tests start in the runfiles root, where the package path is the file path.
        args = ["%s/%s" % (native.package_name(), src)],
        data = data + ["//:pyproject.toml"],
        deps = deps + ["@pypi//pytest"],
        env = test_env,
        tags = tags + (INTEGRATION_TAGS if integration else []),
        exec_properties = properties,
        **kwargs
    )

def pytest_suite(name, deps = [], data = [], integration = False, kept_server = False, shard_counts = {}, sizes = {}, size = None, tags_by_file = {}, suite_tags = [], **kwargs):
    """One pytest_test per test_*.py below this package, plus a test_suite `name`.

    Also defines `<name>_support` (conftest.py, __init__.py and helper modules, a
    dependency of every test) and `<name>_files` (all of it, as data).

    Args:
      name: name of the test_suite grouping the generated tests.
      deps: libraries every module may import.
      data: runtime files every module needs (migrations, ...).
      integration: see pytest_test.
      kept_server: see pytest_test.
      shard_counts: {"path/test_x.py": n} for modules worth splitting across n shards.
      sizes: {"path/test_x.py": "large"} for modules that need a longer timeout.
      size: test size; integration tests default to medium, others to small.
      tags_by_file: {"path/test_x.py": ["slow"]}: extra tags for some modules.
      suite_tags: tags of the test_suite `name`. A suite lists its tests explicitly, and
        so would bring `manual` ones back into `bazel test //...` unless it is manual too.
      **kwargs: passed to every pytest_test.
    """
    support = name + "_support"

    # conftest.py, __init__.py and helper modules: pytest needs them beside every module.
    py_library(
        name = support,
        testonly = True,
        srcs = native.glob(["**/*.py"], exclude = ["**/test_*.py"], allow_empty = True),
        deps = deps + ["@pypi//pytest"],
    )
    srcs = native.glob(["**/test_*.py"], allow_empty = True)
    for src in list(shard_counts) + list(sizes) + list(tags_by_file):
        if src not in srcs:
            fail("%s is not a test module of this suite" % src)
    tests = []
    for src in srcs:
        target = src[:-len(".py")]
        pytest_test(
            name = target,
            src = src,
            deps = [":" + support] + deps,
            data = data,
            integration = integration,
            kept_server = kept_server,
            shard_count = shard_counts.get(src),
            size = sizes.get(src) or size or ("medium" if integration else "small"),
            tags = tags_by_file.get(src, []),
            **kwargs
        )
        tests.append(":" + target)
    native.test_suite(name = name, tests = tests, tags = suite_tags)

    # The same modules as plain files, for runners outside `bazel test`
    # (//:integration_runner and the test image).
    native.filegroup(
        name = name + "_files",
        testonly = True,
        srcs = srcs + [":" + support],
        visibility = ["//visibility:public"],
    )
