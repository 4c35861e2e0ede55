"""A stopped agent leaves no workspace and no process behind; a killed one's are removed later.

A real `sculptops agent` process (its token on stdin) against a fake API on a loopback port,
with a stand-in ansible-playbook that sleeps, so that the signal arrives mid-run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sculptops.agent.workspace import remove_stale_agent_directories

TOKEN = "ag_agent_not_a_real_token_only_for_this_test"
RUN_ID = "exe_000000000000000000000001"
SLEEPER = """#!/bin/sh
echo "started"
echo $$ > {pidfile}
exec sleep 60
"""
AGENT = """
import sys
from sculptops.agent import runner
runner.find_ansible_playbook = lambda: sys.argv[2]
from sculptops.cli.main import app
app(["agent", "--url", sys.argv[1], "--token-stdin", "--quiet"])
"""


class FakeApi(ThreadingHTTPServer):
    """Hands out one run, then no work; records what the agent sent and how it authenticated."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.claimed = False
        self.finished: list[dict[str, Any]] = []
        self.lines: list[str] = []
        self.authorizations: set[str] = set()
        self.agents: list[subprocess.Popen[bytes]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        self.server.authorizations.add(self.headers.get("Authorization", ""))
        answer: Any = {}
        if self.path.endswith("/agents/claim"):
            if self.server.claimed:
                self.send_response(204)
                self.end_headers()
                return
            self.server.claimed = True
            answer = {
                "execution": {"id": RUN_ID},
                "playbook": {"name": "sleeper", "content": "- hosts: all\n"},
                "inventory": {"name": "local", "hosts": [{"name": "localhost"}], "vars": {}},
            }
        elif self.path.endswith("/logs"):
            self.server.lines += [line["line"] for line in body["lines"]]
        elif self.path.endswith("/finish"):
            self.server.finished.append(body)
        elif self.path.endswith("/heartbeat"):
            answer = {"cancel_requested": False}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    server = FakeApi()
    yield server
    server.shutdown()
    server.server_close()
    for proc in server.agents:  # an agent a failed test left running
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _start_agent(api: FakeApi, tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """An agent whose temp dir is `tmp`, mid-run: the stand-in has started. Its pid file."""
    pidfile = tmp / "ansible.pid"
    stub = tmp / "ansible-playbook"
    stub.write_text(SLEEPER.format(pidfile=pidfile))
    stub.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp), "TMPDIR": str(tmp), "LANG": "C.UTF-8"}
    with (tmp / "agent.log").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", AGENT, api.url, str(stub)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api.agents.append(proc)
    assert proc.stdin is not None
    with proc.stdin:
        proc.stdin.write(f"{TOKEN}\n".encode())
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            proc.wait()
            raise AssertionError(f"the run did not start:\n{_output(tmp)}")
        time.sleep(0.05)
    return proc, pidfile


def _output(tmp: Path) -> str:
    return (tmp / "agent.log").read_text(errors="replace")


def _leftovers(tmp: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("sculptops-*"))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_agent_stops_its_run_reports_it_and_leaves_no_workspace(
    api: FakeApi, tmp_path: Path, sig: signal.Signals
) -> None:
    # Given an agent (its token read from stdin) in the middle of a run
    agent, pidfile = _start_agent(api, tmp_path)
    assert any(p.startswith("sculptops-agent-") for p in _leftovers(tmp_path))
    # When it is told to stop
    agent.send_signal(sig)
    # Then it exits soon, having stopped ansible-playbook and reported the run
    assert agent.wait(timeout=15) == 0, _output(tmp_path)
    assert _wait_gone(int(pidfile.read_text()))
    assert len(api.finished) == 1 and api.finished[0]["exit_code"] != 0
    assert "SculptOps: the agent is stopping: the run was stopped" in api.lines
    # And removed the run's workspace and its own directory
    assert _leftovers(tmp_path) == []
    # And it authenticated with the token it read, and only that one
    assert api.authorizations == {f"Bearer {TOKEN}"}


def test_an_agent_stopped_after_its_api_went_away_still_cleans_up_in_time(
    api: FakeApi, tmp_path: Path
) -> None:
    # Given an agent mid-run whose API has gone (the local stack stops its server first)
    agent, pidfile = _start_agent(api, tmp_path)
    api.shutdown()
    api.server_close()
    # When it gets SIGTERM
    agent.send_signal(signal.SIGTERM)
    # Then it exits within the 10 s the local stack gives it before SIGKILL, and leaves nothing
    assert agent.wait(timeout=10) == 0, _output(tmp_path)
    assert _wait_gone(int(pidfile.read_text()))
    assert _leftovers(tmp_path) == []


def test_a_killed_agents_directory_is_removed_by_the_next_agent(tmp_path: Path) -> None:
    # Given the directory of an agent that was killed outright, with a run's workspace in it
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"sculptops-agent-{dead.pid}"
    (stale / "sculptops-run-abc" / "tmp").mkdir(parents=True)
    # And the directory of a live agent, and things that only look like agent directories
    alive = subprocess.Popen(["sleep", "30"])
    try:
        live = tmp_path / f"sculptops-agent-{alive.pid}"
        live.mkdir()
        (tmp_path / "sculptops-agent-x").mkdir()
        (tmp_path / "sculptops-run-old").mkdir()
        target = tmp_path / "elsewhere"
        target.mkdir()
        (tmp_path / f"sculptops-agent-{dead.pid + 1_000_000}").symlink_to(target)
        # When the next agent starts
        removed = remove_stale_agent_directories(tmp_path)
    finally:
        alive.kill()
        alive.wait()
    # Then the dead agent's directory is gone, and nothing else
    assert removed == 1 and not stale.exists()
    assert live.is_dir() and target.is_dir()
    assert (tmp_path / "sculptops-agent-x").is_dir() and (tmp_path / "sculptops-run-old").is_dir()


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    # Given a token file that group and others may read
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o644)
    # When an agent is started with it
    done = subprocess.run(
        [sys.executable, "-m", "sculptops.cli.main", "agent", "--token-file", str(token_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Then it refuses to start, saying why, without showing the token
    assert done.returncode == 2
    assert "readable by others; chmod 600 it" in done.stderr
    assert TOKEN not in done.stderr + done.stdout
