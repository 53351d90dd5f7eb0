"""Stand-in: the legacy defs.bzl entry point, for BUILD files that still use it."""

py_binary = native.py_binary
py_library = native.py_library
py_test = native.py_test
