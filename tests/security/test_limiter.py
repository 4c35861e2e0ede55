"""The failed-auth limiter holds back failures, never credentials.

Replays the attack over HTTP: an anonymous caller sends bad credentials from 127.0.0.1, where
the embedded agents also live, until its address is over the limit. Before the fix the whole
address got 429 for a minute: a valid token was refused, and a run triggered meanwhile stayed
queued because the agents' claim polls were refused too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sculptops.domain import token_format
from tests.stack import Stack, start_stack, stop_stack

LIMIT = 3
PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"
# Refused before any read, and refused after one (a well-formed token that does not exist).
MALFORMED = {"Authorization": "Bearer nope"}
UNKNOWN = {"Authorization": f"Bearer {token_format.generate('ag_live_')}"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own, with its embedded agents, that holds a source back after LIMIT
    failed authentications a minute."""
    s = start_stack(
        Path(tmp_path_factory.mktemp("limiter")),
        agents=True,
        env={"SCULPTOPS_FAILED_AUTH_PER_MINUTE": str(LIMIT)},
    )
    yield s
    stop_stack(s)


def _wait_for_the_agent(c: httpx.Client) -> None:
    """Until demo's embedded agent has polled once, so the timing below is the limiter's."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        agents = c.get("/api/v1/demo/agents/").json()["agents"]
        if any(a.get("last_seen_at") for a in agents):
            return
        time.sleep(0.5)
    pytest.fail("the embedded agent never polled")


def _assert_held_back(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.json() == {"message": "Too Many Requests"}
    assert 1 <= int(r.headers["retry-after"]) <= 61


def test_a_flood_of_bad_credentials_locks_out_neither_a_valid_token_nor_the_agents(
    limited: Stack,
) -> None:
    with limited.client(limited.token) as admin, limited.client() as anonymous:
        _wait_for_the_agent(admin)
        # Given an anonymous caller on the agents' address sends bad credentials
        statuses = [
            anonymous.get("/api/v1/me", headers=MALFORMED if i % 2 else UNKNOWN).status_code
            for i in range(LIMIT)
        ]
        assert statuses == [401] * LIMIT
        # Then further failures are held back, a malformed one and a well-formed unknown one
        _assert_held_back(anonymous.get("/api/v1/me", headers=MALFORMED))
        _assert_held_back(anonymous.get("/api/v1/me", headers=UNKNOWN))

        # When a valid token from the same address asks, while the source is over the limit
        me = admin.get("/api/v1/me")
        # Then it is served
        assert me.status_code == 200, me.text
        assert me.json()["user"]["id"] == "admin@demo"

        # And a run triggered now is claimed by the embedded agent within seconds, while the
        # flood of bad credentials goes on
        r = admin.post(
            "/api/v1/demo/executions", json={"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
        )
        assert r.status_code == 201, r.text
        run = r.json()["id"]
        triggered = time.monotonic()
        status = "queued"
        while status == "queued" and time.monotonic() - triggered < 8:
            _assert_held_back(anonymous.get("/api/v1/me", headers=MALFORMED))
            time.sleep(0.3)
            status = admin.get(f"/api/v1/demo/executions/{run}").json()["status"]
        started_after = time.monotonic() - triggered
        assert status != "queued", f"the run was still queued after {started_after:.1f} s"
        assert started_after < 8
        # And the source is still held back for bad credentials
        _assert_held_back(anonymous.get("/api/v1/me", headers=UNKNOWN))


def test_a_ticket_that_fails_counts_like_any_bad_credential(limited: Stack) -> None:
    # Given the source is over the limit, a forged stream ticket gets 429 like a bad header
    path = "/api/v1/demo/executions/exe_0000000000000000000000aa/logs/stream"
    with limited.client() as anonymous:
        for _ in range(LIMIT):
            anonymous.get("/api/v1/me", headers=MALFORMED)
        _assert_held_back(anonymous.get(path, params={"ticket": "st_AAAA." + "A" * 43}))
