"""Stand-in for rules_python's py_binary (see private/py_rules.bzl)."""

load("//python/private:py_rules.bzl", _py_binary = "py_binary")

py_binary = _py_binary
