"""A bounded load run against the local stack on 127.0.0.1 (an equivalent of a locust run).

    .venv/bin/python -m tests.bench.load [--seconds 10]

Starts its own `sculptops serve` (or uses SCULPTOPS_URL + SCULPTOPS_TOKEN), then runs three
scenarios, each bounded in time and request count, and prints throughput, p50/p95/p99 and
errors: token-authenticated GET /api/v1/me; 20 pollers following one running execution;
triggering runs (cancelled afterwards so that the agent is not swamped).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

MAX_REQUESTS = 20_000  # per scenario, whatever the duration


@dataclass
class Result:
    name: str
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def row(self) -> str:
        rps = len(self.latencies) / self.seconds if self.seconds else 0
        return (
            f"| {self.name} | {self.concurrency} | {len(self.latencies)} | {rps:.0f} | "
            f"{self.pct(50):.1f} | {self.pct(95):.1f} | {self.pct(99):.1f} | {self.errors} |"
        )


HEADER = (
    "| scenario | concurrency | requests | req/s | p50 ms | p95 ms | p99 ms | errors |\n"
    "|---|---|---|---|---|---|---|---|"
)


def _run(
    name: str, url: str, token: str, concurrency: int, seconds: float, request: Any, ok: set[int]
) -> Result:
    result = Result(name, concurrency)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    count = [0]

    def worker() -> None:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            while time.monotonic() < deadline:
                with lock:
                    if count[0] >= MAX_REQUESTS:
                        return
                    count[0] += 1
                started = time.perf_counter()
                try:
                    status, pause = request(client)
                except httpx.HTTPError:
                    status, pause = 0, 0.0
                took = time.perf_counter() - started
                with lock:
                    result.latencies.append(took)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status not in ok:
                        result.errors += 1
                if pause:
                    time.sleep(pause)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    result.seconds = time.monotonic() - started
    return result


def scenario_me(url: str, token: str, concurrency: int, seconds: float) -> Result:
    return _run(
        "GET /api/v1/me (token)",
        url,
        token,
        concurrency,
        seconds,
        lambda c: (c.get("/api/v1/me").status_code, 0.0),
        {200},
    )


def scenario_pollers(url: str, token: str, seconds: float) -> Result:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        pb = c.post(
            "/api/v1/demo/playbooks",
            json={
                "name": f"load-{time.time_ns()}",
                "content": (
                    "- hosts: all\n  gather_facts: false\n  tasks:\n"
                    "    - ansible.builtin.shell: for i in $(seq 1 60); do echo line $i; sleep 0.5; done\n"
                ),
            },
        ).json()
        run = c.post(
            "/api/v1/demo/executions",
            json={"playbook_id": pb["id"], "inventory_id": "inv_000000000000000000000001"},
        ).json()
    cursors: dict[int, int] = {}

    def poll(c: httpx.Client) -> tuple[int, float]:
        key = threading.get_ident()
        r = c.get(
            f"/api/v1/demo/executions/{run['id']}/logs", params={"after": cursors.get(key, 0)}
        )
        if r.status_code == 200:
            body = r.json()
            cursors[key] = body["next"]
            return 200, body["poll_after_ms"] / 1000
        return r.status_code, 0.0

    result = _run("20 pollers on one running execution", url, token, 20, seconds, poll, {200})
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        c.post(f"/api/v1/demo/executions/{run['id']}/cancel")
    return result


def scenario_trigger(url: str, token: str, seconds: float) -> Result:
    made: list[str] = []

    def trigger(c: httpx.Client) -> tuple[int, float]:
        r = c.post(
            "/api/v1/demo/executions",
            json={
                "playbook_id": "pb_000000000000000000000001",
                "inventory_id": "inv_000000000000000000000001",
            },
        )
        if r.status_code == 201:
            made.append(r.json()["id"])
        return r.status_code, 0.0

    result = _run("POST /api/v1/demo/executions", url, token, 4, seconds, trigger, {201})
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        for run_id in made:
            c.post(f"/api/v1/demo/executions/{run_id}/cancel")
    return result


def run_all(url: str, token: str, seconds: float) -> list[Result]:
    return [
        scenario_me(url, token, 8, seconds),
        scenario_pollers(url, token, seconds),
        scenario_trigger(url, token, seconds),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="bounded load on the local stack")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    url, token = os.environ.get("SCULPTOPS_URL"), os.environ.get("SCULPTOPS_TOKEN")
    stack = None
    if not url or not token:
        from tests.stack import start_stack

        stack = start_stack(Path(tempfile.mkdtemp()))
        url, token = stack.url, stack.token
    try:
        results = run_all(url, token, args.seconds)
    finally:
        if stack is not None:
            from tests.stack import stop_stack

            stop_stack(stack)
    print(HEADER)
    for r in results:
        print(r.row())
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
