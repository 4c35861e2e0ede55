"""An idle agent asks for work often enough that a triggered run starts within ~2 s."""

from __future__ import annotations

import threading
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


def test_an_idle_agent_never_waits_more_than_two_seconds_between_claims() -> None:
    # Given an agent with the default polling settings and nothing queued
    stop = RecordingStop(polls=30)
    agent = Agent(
        AgentConfig(url="http://127.0.0.1:9", token="unused", ansible_playbook="/bin/true"), stop
    )
    agent.protocol.client = NoWork()
    # When it polls for a while
    agent.run_forever()
    # Then it backs off from its first quick polls, but never past 2 s, with jitter
    assert stop.waits[0] <= 1.0
    assert max(stop.waits) <= 2.0
    assert max(stop.waits) >= 1.4
    assert len(set(stop.waits)) > 1
