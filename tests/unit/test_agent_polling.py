"""An idle agent asks for work often enough that a triggered run starts within 1.5 s, and
stops at once when told to."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from sculptops.agent.runner import Agent, AgentConfig


class RecordingStop(threading.Event):
    """The agent's stop event: records each idle wait instead of sleeping, stops after `polls`."""

    def __init__(self, polls: int) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.polls = polls

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        if len(self.waits) >= self.polls:
            self.set()
        return self.is_set()


class NoWork:
    """The API for an idle agent: every claim finds no work (204)."""

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        assert path.endswith("/agents/claim")
        return httpx.Response(204)


def _idle_agent(polls: int) -> tuple[Agent, RecordingStop]:
    stop = RecordingStop(polls=polls)
    agent = Agent(
        AgentConfig(url="http://127.0.0.1:9", token="unused", ansible_playbook="/bin/true"), stop
    )
    agent.protocol.client = NoWork()
    return agent, stop


def test_an_idle_agent_asks_at_a_fixed_pace_of_at_most_one_and_a_half_seconds() -> None:
    # Given an agent with the default polling settings and nothing queued
    agent, stop = _idle_agent(polls=200)
    # When it polls for a while
    agent.run_forever()
    # Then every wait is 1.5 s x U(0.75, 1): a queued run waits at most 1.5 s for a claim
    # (p95 <= 2 s with the claim itself), from its very first idle wait on, with jitter
    assert all(1.125 <= w <= 1.5 for w in stop.waits), stop.waits
    assert len(set(stop.waits)) > 1
    # ... which is about 2,700 claims an hour for an idle agent (docs/BENCHMARKS.md prices it)
    per_hour = 3600 / (sum(stop.waits) / len(stop.waits))
    assert 2400 <= per_hour <= 3200, per_hour


def test_a_stop_ends_an_idle_agent_at_once() -> None:
    # Given an idle agent waiting between claims on a real event
    stop = threading.Event()
    agent = Agent(
        AgentConfig(url="http://127.0.0.1:9", token="unused", ansible_playbook="/bin/true"), stop
    )
    agent.protocol.client = NoWork()
    worker = threading.Thread(target=agent.run_forever)
    worker.start()
    time.sleep(0.3)
    # When it is told to stop mid-wait: it ends well before its next claim would be due
    started = time.monotonic()
    stop.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 0.5
