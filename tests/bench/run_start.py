"""Trigger -> `running` with an idle agent, and what following a quiet run costs.

On a local stack of its own (one embedded agent per tenant, as `make run`; demo's and acme's
side by side): after each run the agent is idle (polling at its fixed idle pace) for a random
fraction of its interval, then a run of `ping` is triggered. The latency is the run's `started_at - created_at` (both stamped by
the server: queued, then claimed). Then one quiet run (a playbook that pauses) is followed the
way `sculptops logs --follow` does, recording the `poll_after_ms` the server answers while it
prints nothing.

    python -m tests.bench.run_start [RUNS]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.bench import cost

PING = "pb_000000000000000000000001"
LOCAL = "inv_000000000000000000000001"
RUNS = 20
QUIET_SECONDS = 9
QUIET_PLAYBOOK = f"""- name: quiet
  hosts: all
  gather_facts: false
  tasks:
    - name: print nothing for a while
      ansible.builtin.pause:
        seconds: {QUIET_SECONDS}
"""


@dataclass
class Result:
    latencies: list[float]  # seconds, trigger -> running, server clock
    quiet_polls: list[tuple[float, int]]  # (seconds since the last line, poll_after_ms)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _wait_done(
    client: httpx.Client, execution_id: str, tenant: str = "demo", limit: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"/api/v1/{tenant}/executions/{execution_id}").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.2)
    raise TimeoutError(f"run {execution_id} did not finish in {limit} s")


def _trigger(client: httpx.Client, playbook: str, tenant: str = "demo") -> str:
    answer = client.post(
        f"/api/v1/{tenant}/executions", json={"playbook_id": playbook, "inventory_id": LOCAL}
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


def _follow_quiet(client: httpx.Client) -> list[tuple[float, int]]:
    """Follow a run that pauses, honouring poll_after_ms; (quiet seconds, poll) while quiet."""
    made = client.post(
        "/api/v1/demo/playbooks", json={"name": "bench-quiet", "content": QUIET_PLAYBOOK}
    )
    made.raise_for_status()
    run_id = _trigger(client, made.json()["id"])
    after, last_line_at = 0, time.monotonic()
    seen: list[tuple[float, int]] = []
    deadline = time.monotonic() + QUIET_SECONDS + 60
    while time.monotonic() < deadline:
        batch = client.get(f"/api/v1/demo/executions/{run_id}/logs", params={"after": after})
        body = batch.json()
        now = time.monotonic()
        if body["lines"]:
            last_line_at = now
            after = body["next"]
        elif body["status"] == "running":
            seen.append((now - last_line_at, int(body["poll_after_ms"])))
        if body["complete"]:
            break
        time.sleep(body["poll_after_ms"] / 1000)
    client.delete(f"/api/v1/demo/playbooks/{made.json()['id']}")
    return seen


def _runs(client: httpx.Client, tenant: str, runs: int, into: list[float]) -> None:
    """`runs` runs of ping on the tenant's own agent, each triggered while it is idle."""
    _wait_done(client, _trigger(client, PING, tenant), tenant)  # the agent is up, ran once
    for _ in range(runs):
        # A random phase against its polls (it polls at its idle pace right after a run).
        time.sleep(random.uniform(0.2, 1.8))
        run = _wait_done(client, _trigger(client, PING, tenant), tenant)
        started = run.get("started_at")
        assert started, run
        into.append((_time(started) - _time(run["created_at"])).total_seconds())
        print(f"  {tenant} run {len(into)}: {into[-1]:.2f} s", file=sys.stderr, flush=True)


def measure(runs: int = RUNS) -> Result:
    """Half the runs on demo's agent, half on acme's, side by side (two idle agents)."""
    from tests.stack import start_stack, stop_stack

    stack = start_stack(Path(tempfile.mkdtemp()), agents=True)
    latencies: list[float] = []
    try:
        answer = httpx.post(f"{stack.url}/dev/oidc/token", json={"username": "admin@acme"})
        acme_token = str(answer.json()["access_token"])
        with stack.client(stack.token) as demo, stack.client(acme_token) as acme:
            other: list[float] = []
            side = threading.Thread(target=_runs, args=(acme, "acme", runs // 2, other))
            side.start()
            _runs(demo, "demo", runs - runs // 2, latencies)
            side.join(timeout=300)
            latencies += other
            quiet = _follow_quiet(demo)
    finally:
        stop_stack(stack)
    return Result(latencies, quiet)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def table(result: Result) -> str:
    from sculptops.agent.runner import AgentConfig
    from sculptops.services.executions import poll_after_ms

    lat = result.latencies
    config = AgentConfig(url="", token="")
    lines = [
        f"Trigger -> `running`, {len(lat)} runs of `ping` (half on demo's agent, half on "
        "acme's), each triggered at a random phase of an idle agent's polls (server "
        "timestamps `started_at - created_at`):",
        "",
        "| runs | median s | p95 s | max s | target p95 |",
        "|---|---|---|---|---|",
        f"| {len(lat)} | {statistics.median(lat):.2f} | {p95(lat):.2f} | {max(lat):.2f} | "
        f"≤ 2 s: **{'met' if p95(lat) <= 2.0 else 'missed'}** |",
        "",
        cost.idle_agent_table(config.poll_max),
        "",
        "Following a run that prints nothing (a `pause` task): the `poll_after_ms` the "
        "server answered, by seconds since its last line (a follower honouring it):",
        "",
        "| quiet s | poll_after_ms | the rule says |",
        "|---|---|---|",
    ]
    for quiet, poll in result.quiet_polls:
        lines.append(f"| {quiet:.1f} | {poll} | {poll_after_ms(int(quiet * 1000))} |")
    lines += ["", cost.follower_table()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)))
