"""Stand-in: Bazel 4's built-in sh_library under the rules_shell load path."""

sh_library = native.sh_library
