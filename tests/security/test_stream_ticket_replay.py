"""Stream tickets replayed over HTTP: one that outlived its token, and one spelled another way.

A ticket names the personal token that asked for it, so deleting that token (one by one, or by a
ceiling token's revoke-all, which moves no watermark) ends the ticket at once, not an hour
later. Its MAC covers the payload's exact bytes, so re-encoding the same fields fails.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.stack import Stack, finished_ping_run

UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture(scope="module")
def run(stack: Stack) -> str:
    """A finished run of the ping playbook in demo."""
    return finished_ping_run(stack)


@pytest.fixture
def member(stack: Stack) -> str:
    """member@demo's session (a JWT from the dev identity provider)."""
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": "member@demo"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _token(stack: Stack, session: str, **extra: str) -> tuple[str, str]:
    with stack.client(session) as c:
        r = c.post("/api/v1/demo/tokens/", json={"name": "stream ticket replay", **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"]), str(r.json()["token"])


def _stream_url(stack: Stack, credential: str, run: str) -> str:
    with stack.client(credential) as c:
        r = c.post(f"/api/v1/demo/executions/{run}/logs/stream-url")
    assert r.status_code == 201, r.text
    return str(r.json()["url"])


def _follow(stack: Stack, url: str) -> httpx.Response:
    """GET the URL with no header credential: the ticket is the credential."""
    return httpx.get(f"{stack.url}{url}", timeout=30)


def test_a_ticket_ends_when_the_token_that_asked_for_it_is_deleted(
    stack: Stack, run: str, member: str
) -> None:
    # Given a stream URL asked for with a personal token, which works
    token_id, token = _token(stack, member)
    url = _stream_url(stack, token, run)
    assert _follow(stack, url).status_code == 200
    # When the token is deleted
    with stack.client(member) as c:
        assert c.delete(f"/api/v1/demo/tokens/{token_id}").status_code == 204
    with stack.client(token) as c:
        assert c.get("/api/v1/me").status_code == 401
    # Then the ticket it asked for is refused at once, like any bad credential
    r = _follow(stack, url)
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED


def test_a_ticket_ends_with_a_ceiling_tokens_revoke_all(
    stack: Stack, run: str, member: str
) -> None:
    # Given a stream URL asked for with a ceiling token, which works
    _, token = _token(stack, member, ceiling="viewer")
    url = _stream_url(stack, token, run)
    assert _follow(stack, url).status_code == 200
    # When that token revokes all it manages (itself included; the watermark stays)
    with stack.client(token) as c:
        assert c.delete("/api/v1/demo/tokens/").status_code == 204
        assert c.get("/api/v1/me").status_code == 401
    # Then its ticket is refused
    r = _follow(stack, url)
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED


def test_a_re_encoded_ticket_payload_is_refused(stack: Stack, run: str) -> None:
    # Given a working stream URL
    url = _stream_url(stack, stack.token, run)
    assert _follow(stack, url).status_code == 200
    parts = urlsplit(url)
    ticket = parse_qs(parts.query)["ticket"][0]
    payload, mac = ticket.removeprefix("st_").split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    # When its payload is re-encoded with the same fields (json.dumps' default spacing)
    respelled = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    assert respelled != payload
    forged = f"{parts.path}?{urlencode({'ticket': f'st_{respelled}.{mac}'})}"
    # Then it is refused
    r = _follow(stack, forged)
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED
