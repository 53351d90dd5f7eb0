"""mktar MANIFEST OUT: tar the files listed as `destination<TAB>source` lines.

Reproducible: fixed mtime and owner; symlinks (runfiles) are stored as the
files they point to; executable bits are kept.
"""

import os
import sys
import tarfile


def main(manifest: str, out: str) -> None:
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as archive, open(manifest) as lines:
        for line in lines:
            dest, src = line.rstrip("\n").split("\t")
            info = archive.gettarinfo(os.path.realpath(src), arcname=dest)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if os.access(src, os.X_OK) else 0o644
            with open(src, "rb") as data:
                archive.addfile(info, data)


if __name__ == "__main__":
    main(*sys.argv[1:3])
