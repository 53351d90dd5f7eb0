"""Stand-in: Bazel 4's built-in py_test under the rules_python load path."""

py_test = native.py_test
