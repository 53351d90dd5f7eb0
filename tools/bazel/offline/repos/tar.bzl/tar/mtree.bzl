"""Stand-in for tar.bzl's mutate(): only package_dir is supported."""

def mutate(package_dir = None, **kwargs):
    if kwargs:
        fail("the offline tar stand-in supports only mutate(package_dir = ...)")
    return struct(package_dir = package_dir or "")
