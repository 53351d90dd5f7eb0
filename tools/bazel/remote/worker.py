"""A Remote Workers API (v1test2) bot that executes REAPI actions for BuildGrid.

A stand-in for a real worker fleet (buildbox, BuildBarn, NativeLink...), none of
which can be installed on our machines, so that `make bazel-remote` executes
Bazel's actions remotely for real. Per lease it:

1. takes the Action from the lease payload, fetches its Command and input tree
   from the server's CAS into a fresh directory (files hard-linked from a local
   blob cache, as real workers stage inputs);
2. runs the command there with exactly the environment the Command declares
   (nothing inherited from the worker), under the action's timeout;
3. uploads the declared outputs, stdout and stderr, returns the ActionResult
   with the completed lease, and deletes the directory and anything the action
   left running in it.

It talks to a server on the loopback interface only, takes one lease at a time,
and stops by itself after --max-seconds or --max-actions. It runs in BuildGrid's
virtualenv (tools/bazel/remote/requirements.txt) and uses its generated protos.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2 as re_pb2
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2_grpc as re_grpc
from buildgrid._protos.google.bytestream import bytestream_pb2, bytestream_pb2_grpc
from buildgrid._protos.google.devtools.remoteworkers.v1test2 import (
    bots_pb2,
    bots_pb2_grpc,
    worker_pb2,
)
from buildgrid._protos.google.rpc import code_pb2, status_pb2

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
# Under the server's 4 MiB message limit; larger blobs go through ByteStream.
BATCH_BYTES = 3 * 1024 * 1024
CHUNK = 1024 * 1024
POLL_SECONDS = 10.0  # long-poll for a lease; also how quickly SIGTERM is noticed
KEEPALIVE_SECONDS = 5.0  # the server declares a silent bot dead after 60 s
DEFAULT_TIMEOUT = 900  # for an action that states none


def log(message: str) -> None:
    print(f"worker {BOT_ID}: {message}", file=sys.stderr, flush=True)


BOT_ID = "?"


class Cas:
    """CAS and ByteStream calls, with a local blob cache shared by the workers."""

    def __init__(self, channel: grpc.Channel, instance: str, cache: Path) -> None:
        self.instance = instance
        self.cas = re_grpc.ContentAddressableStorageStub(channel)
        self.bytestream = bytestream_pb2_grpc.ByteStreamStub(channel)
        self.cache = cache

    def _resource(self, digest: re_pb2.Digest) -> str:
        name = f"blobs/{digest.hash}/{digest.size_bytes}"
        return f"{self.instance}/{name}" if self.instance else name

    def read(self, digest: re_pb2.Digest) -> bytes:
        self.fetch([digest])
        return (self.cache / digest.hash).read_bytes()

    def fetch(self, digests: Iterable[re_pb2.Digest]) -> None:
        """Puts every blob into the local cache (cache/<hash>), downloading the missing."""
        missing = {d.hash: d for d in digests if not (self.cache / d.hash).exists()}
        batch: list[re_pb2.Digest] = []
        size = 0
        for digest in missing.values():
            if digest.size_bytes > BATCH_BYTES // 2:
                self._store(digest, b"".join(self._stream(digest)))
                continue
            if size + digest.size_bytes > BATCH_BYTES:
                self._read_batch(batch)
                batch, size = [], 0
            batch.append(digest)
            size += digest.size_bytes
        if batch:
            self._read_batch(batch)

    def _stream(self, digest: re_pb2.Digest) -> Iterator[bytes]:
        request = bytestream_pb2.ReadRequest(resource_name=self._resource(digest))
        for response in self.bytestream.Read(request):
            yield response.data

    def _read_batch(self, digests: list[re_pb2.Digest]) -> None:
        request = re_pb2.BatchReadBlobsRequest(instance_name=self.instance, digests=digests)
        for response in self.cas.BatchReadBlobs(request).responses:
            if response.status.code != code_pb2.OK:
                raise RuntimeError(f"CAS has no blob {response.digest.hash}")
            self._store(response.digest, response.data)

    def _store(self, digest: re_pb2.Digest, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != digest.hash or len(data) != digest.size_bytes:
            raise RuntimeError(f"blob {digest.hash} arrived corrupted")
        # Atomic: two workers may fetch the same blob at once.
        fd, tmp = tempfile.mkstemp(dir=self.cache, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o444)
        os.replace(tmp, self.cache / digest.hash)

    def upload(self, blobs: dict[str, tuple[re_pb2.Digest, bytes]]) -> None:
        """Uploads the blobs (by hash) that the server does not have yet."""
        request = re_pb2.FindMissingBlobsRequest(
            instance_name=self.instance, blob_digests=[d for d, _ in blobs.values()]
        )
        missing = [blobs[d.hash] for d in self.cas.FindMissingBlobs(request).missing_blob_digests]
        batch: list[re_pb2.BatchUpdateBlobsRequest.Request] = []
        size = 0
        for digest, data in missing:
            if digest.size_bytes > BATCH_BYTES // 2:
                self._write(digest, data)
                continue
            if size + digest.size_bytes > BATCH_BYTES:
                self._update_batch(batch)
                batch, size = [], 0
            batch.append(re_pb2.BatchUpdateBlobsRequest.Request(digest=digest, data=data))
            size += digest.size_bytes
        if batch:
            self._update_batch(batch)

    def _update_batch(self, batch: list[re_pb2.BatchUpdateBlobsRequest.Request]) -> None:
        request = re_pb2.BatchUpdateBlobsRequest(instance_name=self.instance, requests=batch)
        for response in self.cas.BatchUpdateBlobs(request).responses:
            if response.status.code != code_pb2.OK:
                raise RuntimeError(f"upload of {response.digest.hash} refused")

    def _write(self, digest: re_pb2.Digest, data: bytes) -> None:
        resource = f"uploads/{uuid.uuid4()}/{self._resource(digest)}"

        def chunks() -> Iterator[bytestream_pb2.WriteRequest]:
            for offset in range(0, max(len(data), 1), CHUNK):
                yield bytestream_pb2.WriteRequest(
                    resource_name=resource if offset == 0 else "",
                    write_offset=offset,
                    data=data[offset : offset + CHUNK],
                    finish_write=offset + CHUNK >= len(data),
                )

        self.bytestream.Write(chunks())


def digest_of(data: bytes) -> re_pb2.Digest:
    return re_pb2.Digest(hash=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


def stage_inputs(cas: Cas, root_digest: re_pb2.Digest, root: Path) -> int:
    """Materializes the input tree under `root`; returns the number of files."""
    directories: dict[str, re_pb2.Directory] = {}
    level = [root_digest]
    while level:  # breadth-first, one batch of reads per level of the tree
        cas.fetch(level)
        next_level = []
        for digest in level:
            directory = re_pb2.Directory.FromString((cas.cache / digest.hash).read_bytes())
            directories[digest.hash] = directory
            next_level += [d.digest for d in directory.directories]
        level = [d for d in next_level if d.hash not in directories]
    cas.fetch(f.digest for d in directories.values() for f in d.files)

    files = 0
    pending = [(root, root_digest.hash)]
    while pending:
        path, digest_hash = pending.pop()
        path.mkdir(parents=True, exist_ok=True)
        directory = directories[digest_hash]
        for node in directory.files:
            _link(cas.cache, node.digest.hash, node.is_executable, path / node.name)
            files += 1
        for link in directory.symlinks:
            (path / link.name).symlink_to(link.target)
        pending += [(path / d.name, d.digest.hash) for d in directory.directories]
    return files


def _link(cache: Path, digest_hash: str, executable: bool, target: Path) -> None:
    source = cache / digest_hash
    if executable:  # a second, executable copy: a hard link shares its inode's mode
        source = cache / f"{digest_hash}.x"
        if not source.exists():
            fd, tmp = tempfile.mkstemp(dir=cache, prefix=".part-")
            os.close(fd)
            shutil.copyfile(cache / digest_hash, tmp)
            os.chmod(tmp, 0o555)
            os.replace(tmp, source)
    os.link(source, target)


@dataclass
class Outcome:
    result: re_pb2.ActionResult
    status: status_pb2.Status


class Executor:
    def __init__(self, cas: Cas, root: Path) -> None:
        self.cas = cas
        self.root = root
        self.count = 0
        self.process: subprocess.Popen[bytes] | None = None

    def run(self, action: re_pb2.Action) -> Outcome:
        self.count += 1
        workdir = self.root / f"a{self.count}"  # short: PostgreSQL's socket path is limited
        logs = self.root / f"a{self.count}.log"
        logs.mkdir()
        started = time.time()
        try:
            command = re_pb2.Command.FromString(self.cas.read(action.command_digest))
            files = stage_inputs(self.cas, action.input_root_digest, workdir)
            cwd = workdir / command.working_directory
            outputs = list(command.output_paths) or [
                *command.output_files,
                *command.output_directories,
            ]
            for output in outputs:
                (cwd / output).parent.mkdir(parents=True, exist_ok=True)
            env = {v.name: v.value for v in command.environment_variables}
            timeout = action.timeout.seconds or DEFAULT_TIMEOUT
            argv = " ".join(command.arguments)[:160]
            log(f"a{self.count}: {files} input files in {workdir}: {argv}")
            exit_code, timed_out = self._execute(list(command.arguments), cwd, env, timeout, logs)
            result = re_pb2.ActionResult(exit_code=exit_code)
            blobs: dict[str, tuple[re_pb2.Digest, bytes]] = {}
            for stream, field in (("stdout", "stdout_digest"), ("stderr", "stderr_digest")):
                data = (logs / stream).read_bytes()
                getattr(result, field).CopyFrom(digest_of(data))
                blobs[digest_of(data).hash] = (digest_of(data), data)
            self._collect(command, cwd, result, blobs)
            self.cas.upload(blobs)
            meta = result.execution_metadata
            meta.worker = BOT_ID
            meta.worker_start_timestamp.FromSeconds(int(started))
            meta.worker_completed_timestamp.FromSeconds(int(time.time()))
            log(f"a{self.count}: exit {exit_code} after {time.time() - started:.1f} s")
            if timed_out:
                message = f"action exceeded its timeout of {timeout} s on {BOT_ID}"
                return Outcome(
                    result, status_pb2.Status(code=code_pb2.DEADLINE_EXCEEDED, message=message)
                )
            return Outcome(result, status_pb2.Status(code=code_pb2.OK))
        finally:
            self._stop_leftovers(workdir)
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(logs, ignore_errors=True)

    def _execute(
        self, argv: list[str], cwd: Path, env: dict[str, str], timeout: int, logs: Path
    ) -> tuple[int, bool]:
        with (logs / "stdout").open("wb") as out, (logs / "stderr").open("wb") as err:
            # The environment is exactly the declared one; argv[0] is looked up on
            # its PATH, or relative to the working directory.
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                return self.process.wait(timeout=timeout), False
            except subprocess.TimeoutExpired:
                self.kill()
                return self.process.wait(), True
            finally:
                self.process = None

    def kill(self) -> None:
        process = self.process
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def _stop_leftovers(self, workdir: Path) -> None:
        """Kills what the action left running: its process group, and any process
        (a daemonized PostgreSQL, say) whose working directory is in the action's."""
        prefix = str(workdir) + "/"
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                cwd = os.readlink(proc / "cwd") + "/"
            except OSError:
                continue
            if cwd.startswith(prefix):
                log(f"killing process {proc.name} left running in {cwd}")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(proc.name), signal.SIGKILL)

    def _collect(
        self,
        command: re_pb2.Command,
        cwd: Path,
        result: re_pb2.ActionResult,
        blobs: dict[str, tuple[re_pb2.Digest, bytes]],
    ) -> None:
        for name in [*command.output_files, *command.output_paths]:
            path = cwd / name
            if path.is_file():
                digest = _add_file(path, blobs)
                result.output_files.add(
                    path=name, digest=digest, is_executable=os.access(path, os.X_OK)
                )
        for name in [*command.output_directories, *command.output_paths]:
            path = cwd / name
            if path.is_dir():
                tree = re_pb2.Tree()
                tree.root.CopyFrom(_directory(path, tree, blobs))
                data = tree.SerializeToString()
                blobs[digest_of(data).hash] = (digest_of(data), data)
                result.output_directories.add(path=name, tree_digest=digest_of(data))


def _add_file(path: Path, blobs: dict[str, tuple[re_pb2.Digest, bytes]]) -> re_pb2.Digest:
    data = path.read_bytes()
    digest = digest_of(data)
    blobs[digest.hash] = (digest, data)
    return digest


def _directory(
    path: Path, tree: re_pb2.Tree, blobs: dict[str, tuple[re_pb2.Digest, bytes]]
) -> re_pb2.Directory:
    """The Directory proto of `path`; its subdirectories go into tree.children."""
    directory = re_pb2.Directory()
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        if entry.is_dir():
            child = _directory(entry, tree, blobs)
            tree.children.append(child)
            directory.directories.add(name=entry.name, digest=digest_of(child.SerializeToString()))
        elif entry.is_file():  # symlinks are followed; dangling ones are dropped
            digest = _add_file(entry, blobs)
            directory.files.add(
                name=entry.name, digest=digest, is_executable=os.access(entry, os.X_OK)
            )
    return directory


class Bot:
    """One bot session: long-polls for a lease, runs it, reports it, repeats."""

    def __init__(self, channel: grpc.Channel, instance: str, executor: Executor) -> None:
        self.bots = bots_pb2_grpc.BotsStub(channel)
        self.instance = instance
        self.executor = executor
        self.stopping = threading.Event()

    def serve(self, deadline: float, max_actions: int) -> None:
        worker = worker_pb2.Worker(
            devices=[worker_pb2.Device(handle=BOT_ID)],
            configs=[worker_pb2.Worker.Config(key="capacity", value="1")],
        )
        session = bots_pb2.BotSession(bot_id=BOT_ID, status=bots_pb2.OK, worker=worker)
        session = self.bots.CreateBotSession(
            bots_pb2.CreateBotSessionRequest(parent=self.instance, bot_session=session),
            timeout=POLL_SECONDS,
        )
        log(f"session {session.name} open")
        while not self.stopping.is_set():
            active = [lease for lease in session.leases if lease.state == bots_pb2.ACTIVE]
            if active:
                session = self._work(session, active[0])
                continue
            if time.monotonic() > deadline or self.executor.count >= max_actions:
                log("limit reached: no new leases")
                break
            session = self._update(session)
        session.status = bots_pb2.BOT_TERMINATING
        with contextlib.suppress(grpc.RpcError):
            self._update(session, timeout=3)

    def _update(
        self, session: bots_pb2.BotSession, timeout: float = POLL_SECONDS
    ) -> bots_pb2.BotSession:
        request = bots_pb2.UpdateBotSessionRequest(name=session.name, bot_session=session)
        try:
            return self.bots.UpdateBotSession(request, timeout=timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                return session  # no lease within the long-poll: ask again
            if self.stopping.is_set():
                return session  # shutting down anyway
            raise

    def _work(self, session: bots_pb2.BotSession, lease: bots_pb2.Lease) -> bots_pb2.BotSession:
        action = re_pb2.Action()
        if not lease.payload.Unpack(action):
            digest = re_pb2.Digest()
            lease.payload.Unpack(digest)
            action = re_pb2.Action.FromString(self.executor.cas.read(digest))
        done: list[Outcome] = []
        failure: list[BaseException] = []

        def target() -> None:
            try:
                done.append(self.executor.run(action))
            except BaseException as exc:  # reported to the server below
                traceback.print_exc()
                failure.append(exc)

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        # Heartbeats while the action runs; a lease the server drops is cancelled.
        while thread.is_alive():
            thread.join(KEEPALIVE_SECONDS)
            if thread.is_alive():
                session = self._update(session)
                if (
                    not any(lease_.id == lease.id for lease_ in session.leases)
                    or self.stopping.is_set()
                ):
                    log(f"lease {lease.id} cancelled")
                    self.executor.kill()
                    thread.join()
                    return session
        leases = [lease_ for lease_ in session.leases if lease_.id == lease.id]
        if not leases:
            return session
        lease = leases[0]
        lease.state = bots_pb2.COMPLETED
        if done:
            lease.status.CopyFrom(done[0].status)
            lease.result.Pack(done[0].result)
        else:
            log(f"lease {lease.id} failed: {failure[0]!r}")
            lease.status.CopyFrom(
                status_pb2.Status(code=code_pb2.INTERNAL, message=f"{BOT_ID}: {failure[0]!r}")
            )
        return self._update(session)


def main(argv: list[str]) -> int:
    global BOT_ID
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="HOST:PORT of BuildGrid, on loopback")
    parser.add_argument("--instance", default="")
    parser.add_argument("--bot-id", required=True)
    parser.add_argument("--root", type=Path, required=True, help="this worker's directory")
    parser.add_argument("--cache", type=Path, required=True, help="blob cache (same filesystem)")
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--max-actions", type=int, default=200)
    args = parser.parse_args(argv)
    host = args.server.rsplit(":", 1)[0]
    if host not in LOOPBACK:
        parser.error(
            f"--server must be on the loopback interface ({', '.join(LOOPBACK)}), not {host}"
        )
    BOT_ID = args.bot_id
    args.root.mkdir(parents=True, exist_ok=True)
    args.cache.mkdir(parents=True, exist_ok=True)

    channel = grpc.insecure_channel(
        args.server,
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    executor = Executor(Cas(channel, args.instance, args.cache), args.root)
    bot = Bot(channel, args.instance, executor)

    def stop(signum: int, _frame: object) -> None:
        log(f"signal {signum}: stopping")
        bot.stopping.set()
        executor.kill()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        bot.serve(time.monotonic() + args.max_seconds, args.max_actions)
    finally:
        channel.close()
    log(f"stopped after {executor.count} actions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
