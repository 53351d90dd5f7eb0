"""Stand-in: Bazel 4's built-in py_library under the rules_python load path."""

py_library = native.py_library
