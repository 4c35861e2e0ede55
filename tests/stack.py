"""The local stack over HTTP: `sculptops serve` in a subprocess on a free loopback port.

One session-wide stack (the `stack` fixture in tests/conftest.py) serves e2e, security and
browser tests; a test that needs its own settings calls `start_stack` itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sculptops.local.dynamodb import free_port

ROOT = Path(__file__).parents[1]


@dataclass
class Stack:
    url: str
    token: str = field(repr=False)  # never in a traceback
    log: Path
    proc: subprocess.Popen[bytes]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def start_stack(
    tmp: Path, dynamodb: str = "moto", agents: bool = True, env: dict[str, str] | None = None
) -> Stack:
    port = free_port()
    log = tmp / f"serve-{dynamodb}-{port}.log"
    full_env = {
        **os.environ,
        "SCULPTOPS_LOG_LEVEL": "DEBUG",
        "PYTHONUNBUFFERED": "1",
        # The suite's own 401s come from one address; the limiter has a test of its own.
        "SCULPTOPS_FAILED_AUTH_PER_MINUTE": "100000",
        # Likewise their posts to /api/v1/credentials/revoke (tests/e2e/test_leaked_tokens.py
        # checks the limit on a stack of its own).
        "SCULPTOPS_REVOKE_PER_MINUTE": "100000",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "sculptops.cli.main",
        "serve",
        "--port",
        str(port),
        "--dynamodb",
        dynamodb,
        "--agents" if agents else "--no-agents",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sculptops serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        raise TimeoutError(f"the stack did not start:\n{log.read_text()}")
    m = re.search(r"SCULPTOPS_TOKEN=(\S+)", log.read_text())
    assert m, log.read_text()
    return Stack(url=url, token=m.group(1), log=log, proc=proc)


def stop_stack(stack: Stack) -> None:
    stack.proc.terminate()
    try:
        stack.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stack.proc.kill()
        stack.proc.wait()


PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"


def ping_run(stack: Stack) -> str:
    """Trigger the seeded ping playbook in demo as admin@demo; its run's id."""
    with stack.client(stack.token) as c:
        r = c.post(
            "/api/v1/demo/executions", json={"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
        )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def finished_ping_run(stack: Stack, timeout: float = 90) -> str:
    """Run the seeded ping playbook in demo as admin@demo and wait (bounded) for its end."""
    run_id = ping_run(stack)
    with stack.client(stack.token) as c:
        deadline = time.monotonic() + timeout
        while c.get(f"/api/v1/demo/executions/{run_id}").json()["finished_at"] is None:
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.5)
    return run_id
