"""Stand-in for rules_python's py_test (see private/py_rules.bzl)."""

load("//python/private:py_rules.bzl", _py_test = "py_test")

py_test = _py_test
