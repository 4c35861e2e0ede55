"""Tenant governance over HTTP against `sculptops serve` (the `stack` fixture): demotion, the
lifetime policy on create and on use, an admin's revoke, members kept out of admin routes, and
an audit log without a secret.

The stack is shared with other e2e tests: every test puts back what it changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.stack import Stack

pytestmark = pytest.mark.e2e
UNAUTHORIZED = {"message": "Unauthorized"}
SECRET_PATTERNS = (
    re.compile(r"ag_(live|agent)_[0-9A-Za-z]{20,}"),  # a token value
    re.compile(r"\b[0-9a-f]{64}\b"),  # a SHA-256 / HMAC digest
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"),  # a JWT
)


def _jwt(stack: Stack, username: str) -> str:
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": username})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _token(stack: Stack, jwt: str, name: str, days: int) -> dict[str, Any]:
    with stack.client(jwt) as c:
        r = c.post("/api/v1/demo/tokens/", json={"name": name, "expires_in_days": days})
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def admin(stack: Stack) -> Iterator[str]:
    """admin@demo's session; afterwards member@demo is a member again and the policy default."""
    jwt = _jwt(stack, "admin@demo")
    yield jwt
    with stack.client(jwt) as c:
        c.patch("/api/v1/demo/members/member@demo", json={"role": "member"})
        r = c.put(
            "/api/v1/demo/settings/token-policy",
            json={"admins_only": False, "max_lifetime_days": 366},
        )
        assert r.status_code == 200, r.text


def _trigger(stack: Stack, token: str) -> int:
    with stack.client(token) as c:
        r = c.post(
            "/api/v1/demo/executions",
            json={
                "playbook_id": "pb_000000000000000000000001",
                "inventory_id": "inv_ffffffffffffffffffffffff",
            },
        )
    return r.status_code


def test_a_demoted_members_existing_token_gets_403_on_trigger_at_once(
    stack: Stack, admin: str
) -> None:
    # Given member@demo's token, which may trigger (refused only for its body here)
    member = _token(stack, _jwt(stack, "member@demo"), "demote-me", 30)["token"]
    assert _trigger(stack, member) not in (401, 403)
    # When admin@demo demotes member@demo to viewer
    with stack.client(admin) as c:
        r = c.patch("/api/v1/demo/members/member@demo", json={"role": "viewer"})
    assert r.status_code == 200 and r.json()["role"] == "viewer", r.text
    # Then the very next request of that same token is refused
    with stack.client(member) as c:
        r = c.post(
            "/api/v1/demo/executions",
            json={
                "playbook_id": "pb_000000000000000000000001",
                "inventory_id": "inv_ffffffffffffffffffffffff",
            },
        )
    assert r.status_code == 403 and r.json()["message"] == "Forbidden", r.text
    # And the audit log says who did it, from where
    with stack.client(admin) as c:
        events = c.get("/api/v1/demo/audit-events", params={"type": "member.role_changed"})
    event = events.json()["events"][0]
    assert event["actor"]["user_id"] == "admin@demo"
    assert event["target"]["user_id"] == "member@demo"
    assert event["details"] == {"from": "member", "to": "viewer"}
    assert event["source_ip"] == "127.0.0.1" and event["request_id"]


def test_a_lower_max_lifetime_stops_a_30_day_token_and_a_30_day_create(
    stack: Stack, admin: str
) -> None:
    member_jwt = _jwt(stack, "member@demo")
    member = _token(stack, member_jwt, "thirty-days", 30)["token"]
    with stack.client(member) as c:
        assert c.get("/api/v1/demo/me").status_code == 200
    # When the admin lowers max_lifetime_days to 7
    with stack.client(admin) as c:
        r = c.put(
            "/api/v1/demo/settings/token-policy",
            json={"admins_only": False, "max_lifetime_days": 7, "default_lifetime_days": 7},
        )
    assert r.status_code == 200, r.text
    assert r.json()["max_lifetime_days"] == 7 and r.json()["tokens_stopped"] >= 1
    # Then the 30-day token gets 401 in demo from the next request on
    with stack.client(member) as c:
        r = c.get("/api/v1/demo/me")
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
    # And a 30-day create is 422 naming the field
    with stack.client(member_jwt) as c:
        r = c.post("/api/v1/demo/tokens/", json={"name": "too-long", "expires_in_days": 30})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "expires_in_days"
    # The admin's list shows it as refused by policy; bad policy input is 422 naming the field
    with stack.client(admin) as c:
        listed = c.get(
            "/api/v1/demo/admin/tokens",
            params={"user_id": "member@demo", "state": "refused_by_policy"},
        ).json()
        assert "thirty-days" in [t["name"] for t in listed["tokens"]]
        bad = c.put(
            "/api/v1/demo/settings/token-policy",
            json={"max_lifetime_days": 7, "default_lifetime_days": 8},
        )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "default_lifetime_days"


def test_an_admin_revoke_fails_at_once_and_is_told(stack: Stack, admin: str) -> None:
    member_jwt = _jwt(stack, "member@demo")
    created = _token(stack, member_jwt, "revoke-me", 30)
    with stack.client(admin) as c:
        listed = c.get("/api/v1/demo/admin/tokens", params={"user_id": "member@demo"}).json()
        ours = next(t for t in listed["tokens"] if t["id"] == created["id"])
        assert ours["owner"] == "member@demo" and ours["state"] == "active"
        assert "token" not in ours and "digest" not in ours
        r = c.delete(f"/api/v1/demo/admin/tokens/{created['id']}", params={"reason": "offboarding"})
        assert r.status_code == 204, r.text
        again = c.delete(f"/api/v1/demo/admin/tokens/{created['id']}")
        assert again.status_code == 404
        events = c.get(
            "/api/v1/demo/audit-events", params={"type": "token.revoked_by_admin", "limit": 5}
        ).json()["events"]
    assert events[0]["target"] == {"type": "token", "id": created["id"], "user_id": "member@demo"}
    assert events[0]["details"]["reason"] == "offboarding"
    with stack.client(created["token"]) as c:
        assert c.get("/api/v1/me").status_code == 401
    with stack.client(member_jwt) as c:
        notes = c.get("/api/v1/me/notifications").json()["notifications"]
    assert notes[0]["type"] == "token.revoked_by_admin" and notes[0]["token_id"] == created["id"]
    assert "admin@demo" in notes[0]["message"] and "offboarding" in notes[0]["message"]


def test_a_member_gets_403_on_every_admin_route(stack: Stack) -> None:
    member = _token(stack, _jwt(stack, "member@demo"), "not-admin", 1)["token"]
    with stack.client(member) as c:
        assert c.get("/api/v1/demo/members").status_code == 200  # viewer+ may list
        calls = [
            c.post("/api/v1/demo/members", json={"email": "x@example.com", "role": "viewer"}),
            c.patch("/api/v1/demo/members/viewer@demo", json={"role": "admin"}),
            c.delete("/api/v1/demo/members/viewer@demo"),
            c.get("/api/v1/demo/settings/token-policy"),
            c.put("/api/v1/demo/settings/token-policy", json={"max_lifetime_days": 1}),
            c.get("/api/v1/demo/admin/tokens"),
            c.delete("/api/v1/demo/admin/tokens/tok_ffffffffffffffffffffffff"),
            c.get("/api/v1/demo/audit-events"),
            c.get("/api/audit-events"),
        ]
    for r in calls:
        assert r.status_code == 403, f"{r.request.method} {r.request.url}: {r.status_code}"
        assert r.json()["message"] == "Forbidden" and r.json()["reason"]


def test_members_errors_name_the_field_and_the_last_admin_stays(stack: Stack, admin: str) -> None:
    with stack.client(admin) as c:
        assert (
            c.patch("/api/v1/demo/members/admin@demo", json={"role": "viewer"}).status_code == 409
        )
        assert c.delete("/api/v1/demo/members/admin@demo").status_code == 409
        assert c.patch("/api/v1/demo/members/nobody@x", json={"role": "viewer"}).status_code == 404
        bad = c.post("/api/v1/demo/members", json={"email": "x@example.com", "role": "owner"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "role"
        bad = c.post("/api/v1/demo/members", json={"email": "nope", "role": "viewer"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"
        members = c.get("/api/members").json()["members"]  # camelCase on /api
    assert {"userId", "email", "name", "role", "joined"} <= set(members[0])


def test_the_audit_log_never_holds_a_secret(stack: Stack, admin: str) -> None:
    # Given token flows of every kind: create, delete, revoke all, admin revoke, policy
    member_jwt = _jwt(stack, "member@demo")
    a = _token(stack, member_jwt, "audit-a", 5)
    b = _token(stack, member_jwt, "audit-b", 5)
    with stack.client(a["token"]) as c:
        assert c.delete(f"/api/v1/demo/tokens/{b['id']}").status_code == 204
    c_tok = _token(stack, member_jwt, "audit-c", 5)
    with stack.client(admin) as c:
        assert c.delete(f"/api/v1/demo/admin/tokens/{c_tok['id']}").status_code == 204
        assert (
            c.put("/api/v1/demo/settings/token-policy", json={"max_lifetime_days": 4}).status_code
            == 200
        )
    # and attempts to get a credential stored: in a reason, a token name, a user agent
    with stack.client(admin) as c:
        for leak in (a["token"], member_jwt):
            r = c.delete(f"/api/v1/demo/admin/tokens/{a['id']}", params={"reason": f"x {leak}"})
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason", r.text
    with stack.client(member_jwt) as c:
        for leak in (a["token"], member_jwt):
            r = c.post("/api/v1/demo/tokens/", json={"name": f"n {leak}", "expires_in_days": 1})
            assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name", r.text
            r = c.post(
                "/api/v1/demo/tokens/",
                json={"name": "ua", "expires_in_days": 1},
                headers={"User-Agent": f"ua {leak}"},
            )
            assert r.status_code == 201, r.text
        assert c.delete("/api/v1/demo/tokens/").status_code == 204
        notes = c.get("/api/v1/me/notifications", params={"limit": 100}).text
    # When the admin reads the whole audit log, every page
    texts: list[str] = []
    cursor = None
    with stack.client(admin) as c:
        for _ in range(50):
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = c.get("/api/v1/demo/audit-events", params=params)
            assert page.status_code == 200, page.text
            texts.append(page.text)
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
    log = "".join(texts) + notes
    # Then every kind of event is there, and no value, digest or JWT is
    for kind in ("token.created", "token.deleted", "token.revoked_all", "token.revoked_by_admin"):
        assert kind in log
    for secret in (a["token"], b["token"], c_tok["token"], member_jwt, admin):
        assert secret not in log
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(log), pattern.pattern
