"""Stand-in: Bazel 4's built-in sh_test under the rules_shell load path."""

sh_test = native.sh_test
