"""The stream URL: a signed ticket that lets a client without Authorization follow one run's log.

Over HTTP against `sculptops serve`: the real gateway calls the real authorizer with the query
string, as API Gateway's REQUEST authorizer gets it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.stack import LOCAL_ID, PING_ID, Stack, finished_ping_run

pytestmark = pytest.mark.e2e
UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture(scope="module")
def run(stack: Stack) -> str:
    """A finished run of the ping playbook in demo."""
    return finished_ping_run(stack)


def _jwt(stack: Stack, username: str) -> str:
    with stack.client() as c:
        return str(c.post("/dev/oidc/token", json={"username": username}).json()["access_token"])


def _stream_url(stack: Stack, token: str, path: str) -> dict[str, Any]:
    with stack.client(token) as c:
        r = c.post(path)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_viewer_gets_a_url_that_follows_the_log_without_a_header(stack: Stack, run: str) -> None:
    # Given a viewer's session
    viewer = _jwt(stack, "viewer@demo")
    # When they ask for the stream URL
    out = _stream_url(stack, viewer, f"/api/v1/demo/executions/{run}/logs/stream-url")
    # Then it is this run's stream with a ticket, for one hour
    url = out["url"]
    parts = urlsplit(url)
    assert parts.path == f"/api/v1/demo/executions/{run}/logs/stream" and not parts.netloc
    ticket = parse_qs(parts.query)["ticket"][0]
    assert ticket.startswith("st_") and viewer not in url
    expires = datetime.fromisoformat(out["expires_at"])
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    # And following it needs no Authorization: one batch, then 204 once every line was read
    first = httpx.get(f"{stack.url}{url}")
    assert first.status_code == 200 and first.headers["content-type"].startswith(
        "text/event-stream"
    )
    ids = [ln.removeprefix("id: ") for ln in first.text.splitlines() if ln.startswith("id: ")]
    assert ids and ids[0] == "1"
    done = httpx.get(f"{stack.url}{url}", headers={"Last-Event-ID": ids[-1]})
    assert done.status_code == 204
    assert ticket not in stack.logs()


def test_a_ticket_opens_only_the_stream_of_its_own_run(stack: Stack, run: str) -> None:
    url = _stream_url(stack, stack.token, f"/api/v1/demo/executions/{run}/logs/stream-url")["url"]
    query = urlsplit(url).query
    with stack.client(stack.token) as c:
        other = c.post(
            "/api/v1/demo/executions", json={"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
        ).json()["id"]
    for path in (
        f"/api/v1/demo/executions/{other}/logs/stream",  # another run
        f"/api/v1/acme/executions/{run}/logs/stream",  # another tenant
        f"/api/v1/demo/executions/{run}/logs",  # the JSON poll
        f"/api/v1/demo/executions/{run}",
        "/api/v1/demo/tokens/",
    ):
        r = httpx.get(f"{stack.url}{path}?{query}")
        assert r.status_code == 401 and r.json() == UNAUTHORIZED, path
    # Read-only: not a POST on the stream either.
    r = httpx.post(f"{stack.url}{url}")
    assert r.status_code in (401, 403, 404), r.text
    tampered = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    assert httpx.get(f"{stack.url}{tampered}").status_code == 401


def test_the_compat_surface_answers_camel_case_and_epoch_seconds(stack: Stack, run: str) -> None:
    out = _stream_url(stack, stack.token, f"/api/executions/{run}/logs/stream-url")
    assert set(out) == {"url", "expiresAt"}
    assert urlsplit(out["url"]).path == f"/api/executions/{run}/logs/stream"
    r = httpx.get(f"{stack.url}{out['url']}")
    assert r.status_code == 200
    data = [json.loads(ln[6:]) for ln in r.text.splitlines() if ln.startswith("data: ")]
    assert data and all(type(d["ts"]) is int for d in data)


def test_who_may_ask_for_a_stream_url(stack: Stack, run: str) -> None:
    path = f"/api/v1/demo/executions/{run}/logs/stream-url"
    with stack.client(_jwt(stack, "admin@acme")) as c:
        assert c.post(path).status_code == 403  # not a member of demo
    with stack.client() as c:
        assert c.post(path).status_code == 401
    with stack.client(stack.token) as c:
        missing = c.post("/api/v1/demo/executions/exe_ffffffffffffffffffffffff/logs/stream-url")
    assert missing.status_code == 404
