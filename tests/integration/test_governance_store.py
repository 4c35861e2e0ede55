"""The governance adapter on a real DynamoDB API (moto; DynamoDB Local with the marker):
transactions with their audit event, the tenant token index as one Query, the audit log."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sculptops.bootstrap import Container
from sculptops.domain.errors import Conflict, NotAuthenticated
from sculptops.domain.governance import AuditType, TokenState
from sculptops.domain.identity import Caller, CredentialKind, Principal, RequestOrigin
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.fakes import FakeClock


def jwt(c: Container, user_id: str, tenant: str = "demo") -> Caller:
    user = c.identity_store.get_user(user_id)
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user_id, user), tenant)
    return replace(caller, origin=RequestOrigin("198.51.100.1", "pytest", "rid-1"))


def test_members_are_seeded_and_changed_in_one_transaction(real: Container) -> None:
    g = real.governance
    assert g is not None
    admin = jwt(real, "admin@demo")
    members = {m.user_id: m.role for m in g.members(admin)}
    assert members == {
        "admin@demo": Role.ADMIN,
        "member@demo": Role.MEMBER,
        "viewer@demo": Role.VIEWER,
    }
    clock = real.clock
    assert isinstance(clock, FakeClock)
    g.set_role(admin, "member@demo", Role.VIEWER)
    clock.advance(seconds=1)
    assert real.identity_store.get_user("member@demo").memberships["demo"] is Role.VIEWER
    assert {m.user_id: m.role for m in g.members(admin)}["member@demo"] is Role.VIEWER
    g.add_member(admin, "new@example.com", Role.MEMBER)
    clock.advance(seconds=1)
    assert real.identity_store.get_user("new@example.com").memberships == {"demo": Role.MEMBER}
    g.remove_member(admin, "new@example.com")
    assert "new@example.com" not in {m.user_id for m in g.members(admin)}
    types = [e.type for e in g.audit_events(admin, None, 10, None, None).events]
    assert types == [
        AuditType.MEMBER_REMOVED,
        AuditType.MEMBER_ADDED,
        AuditType.MEMBER_ROLE_CHANGED,
    ]


def test_a_stale_membership_revision_conflicts_and_writes_nothing(real: Container) -> None:
    store = real.governance._store  # type: ignore[union-attr]
    _, revision = store.list_members("demo")
    admin = jwt(real, "admin@demo")
    g = real.governance
    assert g is not None
    g.set_role(admin, "viewer@demo", Role.MEMBER)  # moves the revision on
    before = real.identity_store.get_user("viewer@demo")
    after = replace(before, memberships={**before.memberships, "demo": Role.ADMIN})
    events_before = len(g.audit_events(admin, None, 100, None, None).events)
    from sculptops.domain.governance import new_event

    event = new_event(admin, FakeClock().now(), AuditType.MEMBER_ROLE_CHANGED, "member")
    with pytest.raises(Conflict):
        store.change_member("demo", revision, before, after, None, event)
    assert real.identity_store.get_user("viewer@demo").memberships["demo"] is Role.MEMBER
    assert len(g.audit_events(admin, None, 100, None, None).events) == events_before


def test_tenant_tokens_one_query_newest_first_paginated_and_confined(real: Container) -> None:
    g = real.governance
    assert g is not None
    clock = real.clock
    assert isinstance(clock, FakeClock)
    member = jwt(real, "member@demo")
    made = []
    for i in range(5):
        clock.advance(seconds=1)
        made.append(real.tokens.create(member, NewToken(name=f"t{i}", expires_in_days=30)).token)
    real.tokens.delete(member, made[2].id)
    admin = jwt(real, "admin@demo")
    seen, cursor = [], None
    for _ in range(10):
        page = g.tenant_tokens(admin, None, None, cursor, 2)
        seen.extend(t.token.name for t in page.tokens)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["t4", "t3", "t1", "t0"]
    # member@demo is also a viewer of acme: the same tokens appear in acme's list...
    acme = jwt(real, "admin@acme", "acme")
    assert len(g.tenant_tokens(acme, None, None, None, 100).tokens) == 4
    # ...until it leaves acme; then acme's admin neither sees nor reaches them.
    g.remove_member(acme, "member@demo")
    assert g.tenant_tokens(acme, None, None, None, 100).tokens == []
    # Policy on use, read from the tenant item by key.
    value = real.tokens.create(member, NewToken(name="long", expires_in_days=30)).value
    assert g.set_policy(admin, False, 7, None).tokens_stopped == 5
    with pytest.raises(NotAuthenticated):
        real.authenticator.act_in(real.authenticator.authenticate(value), "demo")
    refused = g.tenant_tokens(admin, "member@demo", TokenState.REFUSED_BY_POLICY, None, 100)
    assert len(refused.tokens) == 5


def test_admin_revoke_with_event_and_notification(real: Container) -> None:
    g = real.governance
    assert g is not None
    member = jwt(real, "member@demo")
    created = real.tokens.create(member, NewToken(name="laptop", expires_in_days=30))
    admin = jwt(real, "admin@demo")
    g.revoke_token(admin, created.token.id, "policy")
    assert real.token_store.get(created.token.digest) is None
    note = g.notifications(member, None, 10).notifications[0]
    assert note.token_id == created.token.id and note.tenant == "demo"
    event = g.audit_events(admin, None, 1, AuditType.TOKEN_REVOKED_BY_ADMIN, None).events[0]
    assert event.origin.source_ip == "198.51.100.1" and event.origin.request_id == "rid-1"
    assert event.actor.credential_kind is CredentialKind.JWT
