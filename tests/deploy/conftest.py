"""Packaging with osls, offline, once per session; artifact sizes reported at the end."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
REPORT: dict[str, str] = {}


@contextmanager
def osls_lock() -> Iterator[None]:
    """One osls run of this checkout at a time across pytest workers: `osls package` empties
    the service's .serverless/ even when it writes elsewhere, which a concurrent `osls deploy`
    (the rehearsal) reads from; both also (re)build layers/deps/build."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    lock = Path(tempfile.gettempdir()) / f"sculptops-osls-{os.getuid()}-{digest}.lock"
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`osls package --stage prod` with no AWS credentials and no network."""
    osls = ROOT / "node_modules" / ".bin" / "osls"
    if not osls.exists():
        pytest.fail("node_modules is missing: run `npm ci` (make test does)")
    out_dir = tmp_path_factory.mktemp("package")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        SCULPTOPS_OFFLINE_PACKAGE="1",
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
        AWS_SHARED_CREDENTIALS_FILE=str(out_dir / "none"),
        AWS_CONFIG_FILE=str(out_dir / "none"),
    )
    with osls_lock():
        subprocess.run([sys.executable, str(ROOT / "layers" / "deps" / "build.py")], check=True)
        result = subprocess.run(
            [str(osls), "package", "--stage", "prod", "--package", str(out_dir)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    yield out_dir


@pytest.fixture(scope="session")
def template(packaged: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (packaged / "cloudformation-template-update-stack.json").read_text()
    )
    return data


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("deploy artifacts")
        for key, value in REPORT.items():
            terminalreporter.write_line(f"{key}: {value}")
