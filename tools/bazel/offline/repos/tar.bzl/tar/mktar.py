"""mktar MTREE OUT: the tar.bzl stand-in's archiver (Python's tarfile, not bsdtar).

Reads `PATH type=file content=FILE` lines. Like tar.bzl 0.10.2 it writes every
entry as a regular file with a fixed mtime and owner, keeping the executable bit.
A declared symlink (a build output that is itself a symlink, such as a
rules_python venv's bin/python3) cannot be written as a file: bsdtar fails on it
in tar.bzl 0.10.2 (rules_python issues 2864 and 3388), and so does this.
"""

import os
import sys
import tarfile


def declared_symlink(src: str) -> bool:
    """A symlink a rule declared, not one of Bazel's own links to a file.

    In the (unsandboxed) execroot Bazel links sources and some outputs to the file
    by an absolute path into the output base or the workspace; a declared symlink
    points wherever its rule said (rules_python: relative to the venv)."""
    if not os.path.islink(src):
        return False
    target = os.readlink(src)
    execroot = os.getcwd()
    output_base = os.path.dirname(os.path.dirname(execroot))
    workspace = os.path.dirname(os.readlink(os.path.join(execroot, "WORKSPACE")))
    return not (
        os.path.isabs(target)
        and (target.startswith(output_base + "/") or target.startswith(workspace + "/"))
    )


def main(mtree: str, out: str) -> None:
    entries = []
    with open(mtree) as lines:
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            path, kind, content = line.split()
            assert kind == "type=file", line
            entries.append((path, content[len("content=") :]))
    links = [f"{path} -> {os.readlink(src)}" for path, src in entries if declared_symlink(src)]
    if links:
        sys.exit(
            "tar: declared symlinks cannot be packed as files (tar.bzl 0.10.2 writes "
            "every runfile as a file; see rules_python issues 2864/3388):\n  " + "\n  ".join(links)
        )
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as archive:
        for path, src in entries:
            # Bazel's own links to files are followed: the entry is the file.
            info = archive.gettarinfo(os.path.realpath(src), arcname=path)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if os.access(src, os.X_OK) else 0o644
            with open(src, "rb") as data:
                archive.addfile(info, data)


if __name__ == "__main__":
    main(*sys.argv[1:3])
