"""Stand-in: Bazel 4's built-in py_binary under the rules_python load path."""

py_binary = native.py_binary
