"""Token rotation with an overlap, reuse detection and `self`, over HTTP on `sculptops serve`."""

from __future__ import annotations

import time

import pytest

from tests.stack import Stack

pytestmark = pytest.mark.e2e
UNAUTHORIZED = {"message": "Unauthorized"}


def _jwt(stack: Stack, username: str) -> str:
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": username})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _status(stack: Stack, token: str) -> int:
    with stack.client(token) as c:
        return c.get("/api/v1/demo/tokens/self").status_code


def test_rotate_with_a_5s_overlap_then_reuse_revokes_both(stack: Stack) -> None:
    # Given a token of member@demo
    jwt = _jwt(stack, "member@demo")
    admin = _jwt(stack, "admin@demo")
    with stack.client(jwt) as c:
        created = c.post("/api/v1/demo/tokens/", json={"name": "pipeline"}).json()
    old = created["token"]
    # When it rotates itself with overlap_seconds 5
    with stack.client(old) as c:
        r = c.post(f"/api/v1/demo/tokens/{created['id']}/rotate", json={"overlap_seconds": 5})
    assert r.status_code == 201, r.text
    rotated = r.json()
    started = time.monotonic()
    new = rotated["token"]
    assert rotated["name"] == "pipeline" and rotated["rotated_from"] == created["id"]
    # Then both values work during the overlap
    assert (_status(stack, old), _status(stack, new)) == (200, 200)
    assert time.monotonic() - started < 5
    # And the list tells the old token from its replacement: which replaced it, until when
    with stack.client(jwt) as c:
        listed = {t["id"]: t for t in c.get("/api/v1/demo/tokens/").json()["tokens"]}
    assert listed[created["id"]]["replaced_by"] == rotated["id"]
    assert listed[created["id"]]["works_until"] is not None
    assert (listed[rotated["id"]]["replaced_by"], listed[rotated["id"]]["works_until"]) == (
        None,
        None,
    )
    assert time.monotonic() - started < 5
    # And after it the old one gets the same 401 as any refused credential
    time.sleep(max(0.0, 5.2 - (time.monotonic() - started)))
    with stack.client(old) as c:
        r = c.get("/api/v1/demo/tokens/self")
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    assert r.headers["www-authenticate"] == "Bearer"
    # And presenting it revoked the new one too; the audit log and the owner's notices say so
    assert _status(stack, new) == 401
    with stack.client(admin) as c:
        events = c.get(
            "/api/v1/demo/audit-events", params={"type": "token.reuse_detected", "limit": 5}
        ).json()["events"]
    mine = [e for e in events if e["target"]["id"] == created["id"]]
    assert len(mine) == 1 and mine[0]["details"]["count"] == 2
    with stack.client(jwt) as c:
        notes = c.get("/api/v1/me/notifications").json()["notifications"]
    assert any(
        n["type"] == "token.reuse_detected" and n["token_id"] == created["id"] for n in notes
    )
    assert old not in stack.logs() and new not in stack.logs()


def test_self_and_its_refusals(stack: Stack) -> None:
    jwt = _jwt(stack, "viewer@demo")
    with stack.client(jwt) as c:
        created = c.post("/api/v1/demo/tokens/", json={"name": "me", "ceiling": "viewer"}).json()
        # A session JWT is no personal token: 404 naming why, for GET and DELETE alike
        for method in ("GET", "DELETE"):
            r = c.request(method, "/api/v1/demo/tokens/self")
            assert r.status_code == 404, r.text
            assert "not authenticated by a personal API token" in r.json()["message"]
        # Bad input names its field
        r = c.post(f"/api/v1/demo/tokens/{created['id']}/rotate", json={"overlap_seconds": 3601})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "overlap_seconds"
    with stack.client(created["token"]) as c:
        shown = c.get("/api/v1/demo/tokens/self").json()
        assert shown["id"] == created["id"] and shown["ceiling"] == "viewer"
        assert shown["last_used_ips"] == ["127.0.0.1"]
        camel = c.get("/api/tokens/self").json()
        assert camel["lastUsedIps"] == ["127.0.0.1"]
        assert c.delete("/api/v1/demo/tokens/self").status_code == 204
    assert _status(stack, created["token"]) == 401
