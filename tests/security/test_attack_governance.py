"""Issue 13: what a black-box attacker found in tenant governance, replayed.

Races run on DynamoDB Local (`real_race`: moto does not serialise transactions), with the one
read each side needs paused where the attacker's timing put it; everything else over HTTP on
the shared local stack (`stack`), each test putting back what it changed.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sculptops.bootstrap import Container
from sculptops.domain.errors import Conflict
from sculptops.domain.governance import AuditType
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.domain.roles import Role
from tests.integration import conftest as integration
from tests.stack import Stack

# DynamoDB Local fixtures of the integration tests (races need a database that serialises).
dynamodb_local = integration.dynamodb_local
real_race = integration.real_race

UNAUTHORIZED = {"message": "Unauthorized"}
RUN = {"playbook_id": "pb_000000000000000000000001", "inventory_id": "inv_000000000000000000000001"}


def _admin(user: str, tenant: str) -> Caller:
    return Caller(kind=CredentialKind.JWT, subject=user, tenant=tenant, role=Role.ADMIN)


class _PausingModel:
    """The identity model, but the first read a chosen thread makes is held until released:
    the window between a service's reads, where the attacker's second request landed."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.thread: int | None = None
        self.read = threading.Event()
        self.go = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._model(*args, **kwargs)

    def _held(self, result: Any) -> Any:
        if threading.get_ident() == self.thread and not self.read.is_set():
            self.read.set()
            assert self.go.wait(30)
        return result

    def query(self, *args: Any, **kwargs: Any) -> Any:
        return self._held(list(self._model.query(*args, **kwargs)))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._held(self._model.get(*args, **kwargs))


@contextmanager
def _paused_first_read(c: Container) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """`interleave(second)`: run `first` (given to the returned function's caller) paused after
    its first membership read, run `second` to the end meanwhile, then let `first` go on."""
    store: Any = c.members
    pausing = _PausingModel(store._m)
    store._m = pausing
    try:

        def interleave(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
            outcome: dict[str, Any] = {}

            def run_first() -> None:
                pausing.thread = threading.get_ident()
                try:
                    outcome["first"] = first()
                except Exception as exc:
                    outcome["first"] = exc

            t = threading.Thread(target=run_first)
            t.start()
            assert pausing.read.wait(30)
            try:
                outcome["second"] = second()
            except Exception as exc:
                outcome["second"] = exc
            pausing.go.set()
            t.join(30)
            return outcome["first"], outcome["second"]

        yield interleave  # type: ignore[misc]
    finally:
        store._m = pausing._model


def _admins(c: Container, tenant: str) -> list[str]:
    members, _ = c.members.list_members(tenant)
    return sorted(m.user_id for m in members if m.role is Role.ADMIN)


# ---- 1. membership races ----


@pytest.mark.dynamodb_local
def test_two_admins_removing_each_other_at_once_leave_one_admin(real_race: Container) -> None:
    c = real_race
    c.membership.add_member(_admin("admin@acme", "acme"), "viewer@demo", Role.ADMIN)
    assert _admins(c, "acme") == ["admin@acme", "viewer@demo"]
    with _paused_first_read(c) as interleave:
        # When admin@acme removes viewer@demo while viewer@demo removes admin@acme
        first, second = interleave(
            lambda: c.membership.remove_member(_admin("admin@acme", "acme"), "viewer@demo"),
            lambda: c.membership.remove_member(_admin("viewer@demo", "acme"), "admin@acme"),
        )
    # Then one removal wins, the other is a 409, and acme keeps an admin
    assert second is None
    assert isinstance(first, Conflict), first
    assert _admins(c, "acme") == ["viewer@demo"]


@pytest.mark.dynamodb_local
def test_a_role_change_never_writes_from_a_stale_read(real_race: Container) -> None:
    c = real_race
    acme = _admin("admin@acme", "acme")
    with _paused_first_read(c) as interleave:
        first, second = interleave(
            lambda: c.membership.set_role(acme, "member@demo", Role.MEMBER),
            lambda: c.membership.set_role(acme, "member@demo", Role.MEMBER),
        )
    # viewer -> member once: one event, and each 200 says the state there is
    page = c.audit_log.list_events("acme", None, 100, AuditType.MEMBER_ROLE_CHANGED, None)
    changes = [e.details for e in page.events if e.target_user == "member@demo"]
    assert changes == [{"from": "viewer", "to": "member"}]
    for outcome in (first, second):
        assert isinstance(outcome, Conflict) or outcome.role is Role.MEMBER, outcome


@pytest.mark.dynamodb_local
def test_concurrent_role_changes_leave_a_consistent_chain(real_race: Container) -> None:
    c = real_race
    acme = _admin("admin@acme", "acme")
    wanted = [Role.MEMBER if i % 2 else Role.VIEWER for i in range(10)]
    start = threading.Barrier(len(wanted))
    answers: list[Any] = [None] * len(wanted)

    def patch(i: int) -> None:
        start.wait(10)
        try:
            answers[i] = c.membership.set_role(acme, "member@demo", wanted[i]).role
        except Conflict as exc:
            answers[i] = exc

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(len(wanted))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    page = c.audit_log.list_events("acme", None, 100, AuditType.MEMBER_ROLE_CHANGED, None)
    chain = [e.details for e in reversed(page.events) if e.target_user == "member@demo"]
    role = "viewer"  # seeded
    for link in chain:
        assert link["from"] == role, chain
        role = str(link["to"])
    final = c.identity_store.get_user("member@demo")
    assert final is not None and final.memberships["acme"].value == role
    # every 200 answered the role it asked for; the others were told to retry
    for asked, answer in zip(wanted, answers, strict=True):
        assert answer is asked or isinstance(answer, Conflict), answers


# ---- HTTP helpers ----


def _jwt(stack: Stack, username: str) -> str:
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": username})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _token(stack: Stack, credential: str, tenant: str = "demo", days: int = 5) -> dict[str, Any]:
    with stack.client(credential) as c:
        r = c.post(
            f"/api/v1/{tenant}/tokens/",
            json={"name": f"atk-{secrets.token_hex(3)}", "expires_in_days": days},
        )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _events(stack: Stack, admin: str, tenant: str, type_: str) -> list[dict[str, Any]]:
    with stack.client(admin) as c:
        r = c.get(f"/api/v1/{tenant}/audit-events", params={"type": type_, "limit": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


# ---- 2. an admin of one tenant and a user's tokens in another ----


@pytest.fixture
def admin_demo_in_acme(stack: Stack) -> Iterator[tuple[str, str]]:
    """admin@acme's and admin@demo's sessions; afterwards admin@demo is out of acme again."""
    acme, demo = _jwt(stack, "admin@acme"), _jwt(stack, "admin@demo")
    yield acme, demo
    with stack.client(acme) as c:
        c.delete("/api/v1/acme/members/admin@demo")


def test_an_admin_of_another_tenant_revokes_only_in_that_tenant(
    stack: Stack, admin_demo_in_acme: tuple[str, str]
) -> None:
    acme, demo = admin_demo_in_acme
    # Given admin@acme adds admin@demo to acme: the answer shows no profile name
    with stack.client(acme) as c:
        r = c.post("/api/v1/acme/members", json={"email": "admin@demo", "role": "viewer"})
        assert r.status_code == 201, r.text
        assert r.json()["name"] == "" and r.json()["email"] == "admin@demo"
        listed = c.get("/api/v1/acme/members").json()["members"]
    assert next(m for m in listed if m["user_id"] == "admin@demo")["name"] == ""
    # and admin@demo's token made in demo
    token = _token(stack, demo)
    # When admin@acme revokes it
    with stack.client(acme) as c:
        r = c.delete(f"/api/v1/acme/admin/tokens/{token['id']}", params={"reason": "not here"})
        assert r.status_code == 204, r.text
        shown = c.get("/api/v1/acme/admin/tokens", params={"user_id": "admin@demo"}).json()
        again = c.delete(f"/api/v1/acme/admin/tokens/{token['id']}")
    # Then it is refused in acme, and works on in demo
    with stack.client(token["token"]) as c:
        assert c.get("/api/v1/acme/me").status_code == 401
        assert c.get("/api/v1/demo/me").status_code == 200
        assert c.get("/api/v1/demo/tokens/").status_code == 200
    assert again.status_code == 404
    # The acme admins' list shows it revoked; demo's shows it active
    assert next(t for t in shown["tokens"] if t["id"] == token["id"])["state"] == "revoked"
    with stack.client(demo) as c:
        mine = c.get("/api/v1/demo/admin/tokens", params={"user_id": "admin@demo"}).json()
        notes = c.get("/api/v1/me/notifications").json()["notifications"]
    assert next(t for t in mine["tokens"] if t["id"] == token["id"])["state"] == "active"
    # The event and the notice say in which tenant
    event = next(
        e
        for e in _events(stack, acme, "acme", "token.revoked_by_admin")
        if e["target"]["id"] == token["id"]
    )
    assert event["details"]["tenant"] == "acme"
    note = next(n for n in notes if n["token_id"] == token["id"])
    assert "in tenant acme" in note["message"] and note["tenant"] == "acme"


def test_an_admin_cannot_kill_a_token_made_in_another_tenant(stack: Stack) -> None:
    # member@demo is a viewer in acme; a token of theirs made in demo
    acme, member = _jwt(stack, "admin@acme"), _jwt(stack, "member@demo")
    token = _token(stack, member)
    with stack.client(acme) as c:
        r = c.delete(f"/api/v1/acme/admin/tokens/{token['id']}")
    assert r.status_code == 204, r.text
    with stack.client(token["token"]) as c:
        assert c.get("/api/v1/acme/me").status_code == 401
        assert c.get("/api/v1/demo/me").status_code == 200
    with stack.client(member) as c:
        c.delete(f"/api/v1/demo/tokens/{token['id']}")


def test_a_child_minted_after_a_block_is_refused_there_too(stack: Stack) -> None:
    acme, member = _jwt(stack, "admin@acme"), _jwt(stack, "member@demo")
    parent = _token(stack, member)
    with stack.client(acme) as c:
        assert c.delete(f"/api/v1/acme/admin/tokens/{parent['id']}").status_code == 204
    child = _token(stack, parent["token"], days=1)
    with stack.client(child["token"]) as c:
        assert c.get("/api/v1/acme/me").status_code == 401
        assert c.get("/api/v1/demo/me").status_code == 200
    with stack.client(member) as c:
        c.delete(f"/api/v1/demo/tokens/{parent['id']}")


# ---- 3. credentials kept out of the audit log and notices ----


def test_a_credential_in_a_reason_a_name_or_a_user_agent_is_never_stored(stack: Stack) -> None:
    admin, member = _jwt(stack, "admin@demo"), _jwt(stack, "member@demo")
    victim = _token(stack, member)
    value = victim["token"]
    with stack.client(admin) as c:
        for reason in (f"oops {value}", f"oops {admin}"):
            r = c.delete(f"/api/v1/demo/admin/tokens/{victim['id']}", params={"reason": reason})
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == "reason"
            assert value not in r.text and admin not in r.text
    with stack.client(member) as c:
        for name in (f"n {value}", f"n {member}"):
            r = c.post("/api/v1/demo/tokens/", json={"name": name, "expires_in_days": 1})
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == "name"
    for agent in (f"ua {value}", f"ua {member}"):
        with stack.client(member) as c:
            r = c.post(
                "/api/v1/demo/tokens/",
                json={"name": "ua-test", "expires_in_days": 1},
                headers={"User-Agent": agent},
            )
        assert r.status_code == 201, r.text
    events = _events(stack, admin, "demo", "token.created")[:5]
    agents = [e["user_agent"] for e in events if (e["user_agent"] or "").startswith("ua ")]
    assert len(agents) == 2 and all(a == "ua [REDACTED]" for a in agents), agents
    with stack.client(member) as c:
        c.delete("/api/v1/demo/tokens/")


# ---- 4. a stream ticket after the policy stops its token ----


def test_a_stream_ticket_stops_with_its_token_under_a_new_policy(stack: Stack) -> None:
    admin = _jwt(stack, "admin@demo")
    token = _token(stack, admin, days=30)
    with stack.client(token["token"]) as c:
        run = c.post("/api/v1/demo/executions", json=RUN)
        assert run.status_code == 201, run.text
        url = c.post(f"/api/v1/demo/executions/{run.json()['id']}/logs/stream-url").json()["url"]
    with stack.client() as c:
        assert c.get(url).status_code in (200, 204)
    try:
        with stack.client(admin) as c:
            r = c.put("/api/v1/demo/settings/token-policy", json={"max_lifetime_days": 7})
            assert r.status_code == 200, r.text
        with stack.client(token["token"]) as c:
            assert c.get("/api/v1/demo/me").status_code == 401
        with stack.client() as c:
            r = c.get(url)
        assert r.status_code == 401 and r.json() == UNAUTHORIZED
    finally:
        with stack.client(admin) as c:
            c.put("/api/v1/demo/settings/token-policy", json={"max_lifetime_days": 366})
            c.delete(f"/api/v1/demo/tokens/{token['id']}")


# ---- 5. one audit event per token that stops working ----


def test_deleting_or_revoking_a_parent_records_each_child(stack: Stack) -> None:
    admin, member = _jwt(stack, "admin@demo"), _jwt(stack, "member@demo")
    # owner delete (member@demo)
    parent = _token(stack, member)
    child = _token(stack, parent["token"], days=3)
    grandchild = _token(stack, child["token"], days=1)
    with stack.client(member) as c:
        assert c.delete(f"/api/v1/demo/tokens/{parent['id']}").status_code == 204
    deleted = {e["target"]["id"] for e in _events(stack, admin, "demo", "token.deleted")}
    assert {parent["id"], child["id"], grandchild["id"]} <= deleted
    # admin revoke (viewer@demo belongs to demo only: the tokens are deleted)
    viewer = _jwt(stack, "viewer@demo")
    parent = _token(stack, viewer)
    child = _token(stack, parent["token"], days=1)
    with stack.client(admin) as c:
        assert c.delete(f"/api/v1/demo/admin/tokens/{parent['id']}").status_code == 204
    revoked = {e["target"]["id"] for e in _events(stack, admin, "demo", "token.revoked_by_admin")}
    assert {parent["id"], child["id"]} <= revoked
    with stack.client(child["token"]) as c:
        assert c.get("/api/v1/demo/me").status_code == 401


# ---- 6. admins_only on use ----


def test_admins_only_refuses_a_non_admins_token_on_use(stack: Stack) -> None:
    acme, member = _jwt(stack, "admin@acme"), _jwt(stack, "member@demo")
    token = _token(stack, member)
    with stack.client(token["token"]) as c:
        assert c.get("/api/v1/acme/me").status_code == 200
    try:
        with stack.client(acme) as c:
            r = c.put(
                "/api/v1/acme/settings/token-policy",
                json={"admins_only": True, "max_lifetime_days": 366},
            )
            assert r.status_code == 200, r.text
        with stack.client(token["token"]) as c:
            r = c.get("/api/v1/acme/me")
            assert r.status_code == 403, r.text
            assert r.json() == {
                "message": "Forbidden",
                "reason": "tenant acme lets only admins use API tokens",
            }
            assert c.get("/api/v1/demo/me").status_code == 200
    finally:
        with stack.client(acme) as c:
            c.put(
                "/api/v1/acme/settings/token-policy",
                json={"admins_only": False, "max_lifetime_days": 366},
            )
        with stack.client(member) as c:
            c.delete(f"/api/v1/demo/tokens/{token['id']}")


# ---- 7. text hygiene ----


def test_a_reason_and_an_email_are_plain_text(stack: Stack) -> None:
    admin = _jwt(stack, "admin@demo")
    with stack.client(admin) as c:
        for reason in ("a\nb", "a\x1bb", "a\x7fb", "a\u202eb"):
            r = c.delete(
                "/api/v1/demo/admin/tokens/tok_ffffffffffffffffffffffff", params={"reason": reason}
            )
            assert r.status_code == 422, (repr(reason), r.text)
            assert r.json()["errors"][0]["field"] == "reason"
        for email in ("ADM\u0130N@demo", "\uff41dmin@demo", "admin@demo.", "x\u202e@x", "a\tb@x"):
            r = c.post("/api/v1/demo/members", json={"email": email, "role": "viewer"})
            assert r.status_code == 422, (repr(email), r.text)
            error = r.json()["errors"][0]
            assert error["field"] == "email" and error["in"] == "body", r.text
        # an upper-case ASCII address is the same person: already a member
        r = c.post("/api/v1/demo/members", json={"email": "Member@Demo", "role": "viewer"})
        assert r.status_code == 409, r.text


# ---- 8. consistency ----


def test_policy_and_path_inputs_are_refused_by_name(stack: Stack) -> None:
    admin = _jwt(stack, "admin@demo")
    with stack.client(admin) as c:
        for flag in ("false", 0):
            r = c.put(
                "/api/v1/demo/settings/token-policy",
                json={"admins_only": flag, "max_lifetime_days": 366},
            )
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == "admins_only"
        r = c.put(
            "/api/v1/demo/settings/token-policy",
            content=b'{"max_lifetime_days":0x10}',
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "body"
        assert "not valid JSON" in r.json()["errors"][0]["message"]
        long_id = "tok_" + "a" * 3000
        r = c.delete(f"/api/v1/demo/admin/tokens/{long_id}")
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "token_id" and len(r.text) < 400
        r = c.patch(f"/api/v1/demo/members/{'x' * 3000}", json={"role": "viewer"})
        assert r.status_code == 422 and len(r.text) < 400, r.text
        r = c.delete(f"/api/v1/demo/members/{'x' * 200}@demo")
        assert r.status_code == 404 and "x" * 100 not in r.text, r.text
