"""scripts/check-no-leftovers.sh (`make no-leftovers`, the end of .ci/run) on PostgreSQL's
shared memory: what a killed server leaves is reported, what a live process still maps
is not. Each case makes its own segment, so the rest of the machine's state (a kept
server, another run) only adds lines this test does not read."""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# No resolve(): under Bazel this file is a runfiles symlink and the repo is the runfiles tree.
SCRIPT = Path(__file__).absolute().parents[2] / "scripts" / "check-no-leftovers.sh"
SHM = Path("/dev/shm")  # where PostgreSQL makes its POSIX segments
_IPC_PRIVATE, _IPC_CREAT, _IPC_RMID = 0, 0o1000, 0

pytestmark = pytest.mark.skipif(
    not (SHM.is_dir() and Path("/proc/sysvipc/shm").exists() and shutil.which("ipcs")),
    reason="needs Linux's /dev/shm, /proc/sysvipc and ipcs (util-linux), as the script does",
)


def _check() -> tuple[int, str]:
    done = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stderr


@pytest.fixture
def libc() -> ctypes.CDLL:
    lib = ctypes.CDLL(None, use_errno=True)
    lib.shmat.restype = ctypes.c_void_p
    lib.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    lib.shmdt.argtypes = [ctypes.c_void_p]
    return lib


@pytest.fixture
def system_v_segment(libc: ctypes.CDLL) -> Iterator[int]:
    shmid = libc.shmget(_IPC_PRIVATE, 4096, _IPC_CREAT | 0o600)
    if shmid < 0:
        pytest.skip(f"shmget failed here: {os.strerror(ctypes.get_errno())}")
    try:
        yield shmid
    finally:
        libc.shmctl(shmid, _IPC_RMID, None)


@pytest.fixture
def posix_segment() -> Iterator[Path]:
    """/dev/shm/PostgreSQL.<digits>, named as PostgreSQL names its dynamic segments."""
    path = SHM / f"PostgreSQL.{secrets.randbelow(10**9) + 10**9}"
    path.write_bytes(b"\0" * 4096)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def test_a_system_v_segment_nothing_attaches_is_a_leftover(system_v_segment: int) -> None:
    code, err = _check()
    assert f"leftover System V shared memory: id {system_v_segment} of" in err
    assert code == 1


def test_an_attached_system_v_segment_is_not(system_v_segment: int, libc: ctypes.CDLL) -> None:
    address = libc.shmat(system_v_segment, None, 0)
    assert address not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
    try:
        _, err = _check()
    finally:
        libc.shmdt(address)
    assert f"id {system_v_segment} of" not in err


def test_a_posix_segment_no_process_maps_is_a_leftover(posix_segment: Path) -> None:
    code, err = _check()
    assert f"leftover path: {posix_segment} (shared memory of a killed PostgreSQL)" in err
    assert code == 1


def test_a_mapped_posix_segment_is_not(posix_segment: Path) -> None:
    with posix_segment.open("r+b") as f, mmap.mmap(f.fileno(), 4096) as mapped:
        _, err = _check()
        del mapped
    assert str(posix_segment) not in err


def test_a_longer_name_that_is_mapped_does_not_hide_a_leftover(posix_segment: Path) -> None:
    """PostgreSQL.123 is a leftover though PostgreSQL.1234 is mapped: the whole name."""
    longer = posix_segment.with_name(posix_segment.name + "7")
    longer.write_bytes(b"\0" * 4096)
    try:
        with longer.open("r+b") as f, mmap.mmap(f.fileno(), 4096):
            _, err = _check()
    finally:
        with contextlib.suppress(FileNotFoundError):
            longer.unlink()
    assert f"leftover path: {posix_segment} " in err
    assert str(longer) not in err
