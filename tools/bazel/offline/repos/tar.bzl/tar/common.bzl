"""bazel_lib's propagate_common_rule_attributes, as tar.bzl and rules_oci use it:
the attributes Bazel documents as common to all rules."""

_COMMON = [
    "compatible_with",
    "deprecation",
    "distribs",
    "exec_compatible_with",
    "exec_properties",
    "features",
    "restricted_to",
    "tags",
    "target_compatible_with",
    "testonly",
    "toolchains",
    "visibility",
]

def propagate_common_rule_attributes(attrs):
    return {k: attrs[k] for k in _COMMON if k in attrs}
