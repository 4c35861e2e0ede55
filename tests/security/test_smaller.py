"""The smaller holes, over HTTP: the failed-auth limiter counts the real peer, never what
X-Forwarded-For claims; every answer carries the security headers (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.stack import Stack, start_stack, stop_stack

LIMIT = 3
BAD = {"Authorization": "Bearer ag_live_000000000000000000000000000000000000"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own that answers 429 after LIMIT failed authentications a minute.

    uvicorn trusts X-Forwarded-For from the addresses in FORWARDED_ALLOW_IPS (127.0.0.1 unless
    set); set to every address here, so that each loopback client below would be believed if
    the server honoured the header at all.
    """
    s = start_stack(
        Path(tmp_path_factory.mktemp("limited")),
        agents=False,
        env={"SCULPTOPS_FAILED_AUTH_PER_MINUTE": str(LIMIT), "FORWARDED_ALLOW_IPS": "*"},
    )
    yield s
    stop_stack(s)


def _from(stack: Stack, address: str) -> httpx.Client:
    """A client whose TCP peer address is `address` (any 127.0.0.0/8 address is this machine)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=stack.url, transport=transport, timeout=30)


def test_failures_are_counted_against_the_peer_not_x_forwarded_for(limited: Stack) -> None:
    with _from(limited, "127.0.0.1") as c:
        # Given LIMIT failures that claim to come from 10.9.9.9
        for _ in range(LIMIT):
            r = c.get("/api/v1/me", headers={**BAD, "X-Forwarded-For": "10.9.9.9"})
            assert r.status_code == 401
        # Then the peer that sent them is the one held back, with or without the header
        assert c.get("/api/v1/me", headers=BAD).status_code == 429
        forged = c.get("/api/v1/me", headers={**BAD, "X-Forwarded-For": "10.9.9.10"})
        assert forged.status_code == 429


def test_forged_failures_do_not_lock_another_client_out(limited: Stack) -> None:
    # Given an attacker at 127.0.0.3 sends failures naming the victim 127.0.0.2 in the header
    with _from(limited, "127.0.0.3") as attacker:
        for _ in range(LIMIT + 2):
            attacker.get(
                "/api/v1/me",
                headers={**BAD, "X-Forwarded-For": "127.0.0.2", "X-Real-IP": "127.0.0.2"},
            )
    # Then the victim still gets in with its token
    with _from(limited, "127.0.0.2") as victim:
        r = victim.get("/api/v1/me", headers={"Authorization": f"Bearer {limited.token}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("method", "path", "status", "authorized"),
    [
        ("GET", "/health", 200, False),
        ("GET", "/api/v1/openapi.json", 200, False),
        ("GET", "/api/v1/docs", 200, False),
        ("GET", "/api/v1/me", 401, False),
        ("GET", "/api/v1/no-such-route/at-all", 404, False),
        ("GET", "/api/v1/demo/playbooks", 200, True),
        ("POST", "/dev/oidc/token", 422, False),
        ("GET", "/dev/oidc/jwks.json", 200, False),
    ],
)
def test_every_answer_carries_the_security_headers(
    stack: Stack, method: str, path: str, status: int, authorized: bool
) -> None:
    with stack.client(stack.token if authorized else None) as c:
        r = c.request(method, path, json={} if method == "POST" else None)
    assert r.status_code == status, r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert len(r.headers.get_list("content-security-policy")) == 1
