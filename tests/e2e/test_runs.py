"""Playbooks that really run: the older docs' flow, failures, cancel, logs, SSE, the CLI.

Over HTTP against `sculptops serve`, whose embedded agents run real ansible-playbook.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from tests.stack import ROOT, Stack

pytestmark = pytest.mark.e2e
PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"


def wait_for(c: httpx.Client, path: str, until: Any, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = c.get(path).json()
        if until(body):
            return body
        time.sleep(0.5)
    raise AssertionError(f"{path} never reached the state: {body}")


def add_playbook(stack: Stack, name: str, content: str) -> str:
    with stack.client(stack.token) as c:
        r = c.post("/api/v1/demo/playbooks", json={"name": name, "content": content})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def trigger(stack: Stack, playbook_id: str, **extra: Any) -> str:
    with stack.client(stack.token) as c:
        r = c.post(
            "/api/v1/demo/executions",
            json={"playbook_id": playbook_id, "inventory_id": LOCAL_ID, **extra},
        )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_the_older_docs_flow_verbatim(stack: Stack) -> None:
    with stack.client(stack.token) as c:
        playbooks = c.get("/api/playbooks").json()["playbooks"]
        ping = next(p for p in playbooks if p["name"] == "ping")
        assert set(ping) == {"id", "name", "updatedAt"}
        inventory = c.get(f"/api/inventories/{LOCAL_ID}").json()
        assert inventory["hosts"][0]["name"] == "localhost"
        r = c.post(
            "/api/executions",
            json={
                "playbookId": ping["id"],
                "inventoryId": inventory["id"],
                "extraVars": {"greeting": "hi"},
                "tags": [],
            },
        )
        assert r.status_code == 201, r.text
        execution = r.json()
        assert execution["status"] == "queued"
        done = wait_for(
            c,
            f"/api/executions/{execution['id']}",
            lambda e: e["status"] not in ("queued", "running"),
        )
    assert done["status"] == "success" and done["exitCode"] == 0
    assert done["startedAt"] and done["finishedAt"]


def test_a_failing_playbook_ends_failed_with_its_exit_code(stack: Stack) -> None:
    pb = add_playbook(
        stack,
        "fails",
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.fail:\n        msg: on purpose\n",
    )
    run = trigger(stack, pb)
    with stack.client(stack.token) as c:
        done = wait_for(c, f"/api/v1/demo/executions/{run}", lambda e: e["finished_at"])
        assert done["status"] == "failed" and done["exit_code"] == 2
        lines = c.get(f"/api/v1/demo/executions/{run}/logs").json()["lines"]
    assert any(ln["level"] == "failed" and "on purpose" in ln["line"] for ln in lines)


def test_a_running_sleep_is_cancelled_within_seconds(stack: Stack) -> None:
    # A duration no other process on the machine has: the check below looks only at the sleep
    # this test started, never at processes machine-wide.
    duration = f"120.{secrets.randbelow(10**9):09d}"
    pb = add_playbook(
        stack,
        "sleeps",
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - ansible.builtin.command: sleep {duration}\n",
    )
    run = trigger(stack, pb)
    with stack.client(stack.token) as c:
        wait_for(c, f"/api/v1/demo/executions/{run}", lambda e: e["status"] == "running")
        time.sleep(2)  # inside the task
        asked = time.monotonic()
        r = c.post(f"/api/v1/demo/executions/{run}/cancel")
        assert r.status_code == 200 and r.json()["cancel_requested"]
        done = wait_for(c, f"/api/v1/demo/executions/{run}", lambda e: e["finished_at"], 30)
        took = time.monotonic() - asked
    assert done["status"] == "cancelled"
    assert took < 15, f"cancel took {took:.1f}s"
    # The run is reported cancelled only after its whole process group was killed; give the
    # kernel a moment to reap it.
    for _ in range(20):
        survivors = _processes_running(f"sleep {duration}")
        if not survivors:
            break
        time.sleep(0.1)
    assert not survivors, "the sleep survived its cancel"


def _processes_running(command_line: str) -> list[int]:
    """Pids whose command line is exactly this one (a string only this test's run uses)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if b" ".join(a for a in argv if a).decode(errors="replace") == command_line:
            found.append(int(entry.name))
    return found


LOOP = """- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "item {{ item }}"
      loop: "{{ range(0, 400) | list }}"
"""


def test_four_hundred_items_read_in_pages_of_fifty_while_running(stack: Stack) -> None:
    run = trigger(stack, add_playbook(stack, "loop400", LOOP))
    seqs: list[int] = []
    items: list[str] = []
    after = 0
    polls = 0
    with stack.client(stack.token) as c:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            r = c.get(f"/api/v1/demo/executions/{run}/logs", params={"after": after, "limit": 50})
            assert r.status_code == 200
            batch = r.json()
            polls += 1
            assert len(batch["lines"]) <= 50
            seqs += [ln["seq"] for ln in batch["lines"]]
            items += [ln["line"] for ln in batch["lines"] if '"msg": "item ' in ln["line"]]
            after = batch["next"]
            if batch["complete"]:
                break
            time.sleep(batch["poll_after_ms"] / 1000)
    assert batch["complete"] and batch["status"] == "success"
    assert seqs == list(range(1, len(seqs) + 1))  # none missing, none repeated, increasing
    assert len(items) == 400 and polls > 8


def test_eventsource_client_gets_every_line_once_and_stops(stack: Stack) -> None:
    node = shutil.which("node")
    client = ROOT / "tests" / "e2e" / "clients" / "eventsource_follow.mjs"
    if node is None or not (ROOT / "node_modules" / "eventsource").is_dir():
        pytest.skip("needs node and `npm ci`")
    run = trigger(stack, add_playbook(stack, "loop400-sse", LOOP))
    url = f"{stack.url}/api/v1/demo/executions/{run}/logs/stream?limit=100"
    out = subprocess.run(
        [node, str(client), url, stack.token, "90"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["stoppedBy"] == "204"
    ids = [int(e["id"]) for e in result["events"]]
    assert ids == list(range(1, len(ids) + 1))  # every line, exactly once, in order
    assert result["opens"] >= 2  # it really reconnected with Last-Event-ID
    assert sum('"msg": "item ' in e["data"]["line"] for e in result["events"]) == 400
    with stack.client(stack.token) as c:
        polled, after = [], 0
        while True:
            page = c.get(f"/api/v1/demo/executions/{run}/logs", params={"after": after}).json()
            polled += [ln["seq"] for ln in page["lines"]]
            after = page["next"]
            if page["complete"]:
                break
    assert ids == polled


def test_sse_framing_and_resume_with_a_parser_library(stack: Stack) -> None:
    run = trigger(stack, PING_ID)
    with stack.client(stack.token) as c:
        wait_for(c, f"/api/v1/demo/executions/{run}", lambda e: e["finished_at"])
        path = f"/api/v1/demo/executions/{run}/logs/stream"
        with connect_sse(c, "GET", path, params={"limit": 3}) as source:
            assert source.response.headers["content-type"].startswith("text/event-stream")
            first = list(source.iter_sse())
        assert [e.id for e in first] == ["1", "2", "3"] and first[0].retry is not None
        assert json.loads(first[0].data).keys() >= {"line", "level", "ts"}
        with connect_sse(c, "GET", path, headers={"Last-Event-ID": "3"}) as source:
            rest = list(source.iter_sse())
        assert rest[0].id == "4"
        end = rest[-1].id
        assert c.get(path, headers={"Last-Event-ID": end}).status_code == 204
        assert c.get(path, params={"lastEventId": end}).status_code == 204
        assert c.get(path, headers={"Last-Event-ID": "x"}).status_code == 422


def _cli(stack: Stack, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCULPTOPS_URL": stack.url, "SCULPTOPS_TOKEN": stack.token}
    return subprocess.run(
        [sys.executable, "-m", "sculptops.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_cli_run_follow_prints_live_and_exits_with_the_run_code(stack: Stack) -> None:
    ok = _cli(stack, "run", "ping", "--inventory", "local", "--follow", "-e", "x=1")
    assert ok.returncode == 0, ok.stderr
    assert "hello from SculptOps on localhost" in ok.stdout
    assert "\x1b[" not in ok.stdout  # plain when piped
    add_playbook(
        stack,
        "exit3",
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.command: sh -c 'exit 3'\n",
    )
    failed = _cli(stack, "run", "exit3", "--inventory", "local", "--follow")
    assert failed.returncode == 2, failed.stdout  # ansible-playbook exits 2 on a failed task
    missing = _cli(stack, "run", "nope", "--inventory", "local")
    assert missing.returncode == 2 and "No playbook named" in missing.stderr


def test_cli_logs(stack: Stack) -> None:
    run = trigger(stack, PING_ID)
    followed = _cli(stack, "logs", run, "--follow")
    assert followed.returncode == 0 and "PLAY RECAP" in followed.stdout
    again = _cli(stack, "logs", run)
    assert again.stdout == followed.stdout


def test_idempotent_trigger_over_http(stack: Stack) -> None:
    body = {"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
    with stack.client(stack.token) as c:
        key = {"Idempotency-Key": f"ci-{time.time_ns()}"}
        first = c.post("/api/v1/demo/executions", json=body, headers=key)
        again = c.post("/api/v1/demo/executions", json=body, headers=key)
        other = c.post("/api/v1/demo/executions", json={**body, "tags": ["x"]}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert other.status_code == 422


def test_agents_listed_with_last_seen(stack: Stack) -> None:
    with stack.client(stack.token) as c:
        agents = c.get("/api/v1/active/agents/").json()["agents"]
    assert agents and agents[0]["name"] == "embedded agent" and agents[0]["last_seen_at"]


@pytest.mark.slow
def test_a_short_bounded_load_run_has_no_errors(stack: Stack) -> None:
    from tests.bench.load import HEADER, run_all

    results = run_all(stack.url, stack.token, seconds=3)
    print("\n" + HEADER + "\n" + "\n".join(r.row() for r in results))
    for r in results:
        assert r.latencies, r.name
        assert r.errors == 0, (r.name, r.statuses)
