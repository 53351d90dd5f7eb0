"""Stand-in: Bazel 4's built-in sh_binary under the rules_shell load path."""

sh_binary = native.sh_binary
