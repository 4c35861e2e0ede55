"""The governance adapters (adapters/dynamodb/{members,token_ledger,audit,notifications}.py) under
the governance services, on a real DynamoDB API (moto; DynamoDB Local with the marker):
transactions with their audit event, the tenant token index as one Query, the audit log.
Each port's own contract, the same on fakes and DynamoDB: tests/integration/test_port_contracts.py.
"""

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
from tests.integration.conftest import on_dynamodb_local_too


def jwt(c: Container, user_id: str, tenant: str = "demo") -> Caller:
    user = c.identity_store.get_user(user_id)
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user_id, user), tenant)
    return replace(caller, origin=RequestOrigin("198.51.100.1", "pytest", "rid-1"))


@on_dynamodb_local_too
def test_members_are_seeded_and_changed_in_one_transaction(real: Container) -> None:
    g = real.membership
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
    types = [e.type for e in real.audit.audit_events(admin, None, 10, None, None).events]
    assert types == [
        AuditType.MEMBER_REMOVED,
        AuditType.MEMBER_ADDED,
        AuditType.MEMBER_ROLE_CHANGED,
    ]


@on_dynamodb_local_too
def test_a_stale_membership_revision_conflicts_and_writes_nothing(real: Container) -> None:
    store = real.members
    _, revision = store.list_members("demo")
    admin = jwt(real, "admin@demo")
    real.membership.set_role(admin, "viewer@demo", Role.MEMBER)  # moves the revision on
    before = real.identity_store.get_user("viewer@demo")
    after = replace(before, memberships={**before.memberships, "demo": Role.ADMIN})
    events_before = len(real.audit.audit_events(admin, None, 100, None, None).events)
    from sculptops.domain.governance import new_event

    event = new_event(admin, FakeClock().now(), AuditType.MEMBER_ROLE_CHANGED, "member")
    with pytest.raises(Conflict):
        store.change_member("demo", revision, before, after, None, event)
    assert real.identity_store.get_user("viewer@demo").memberships["demo"] is Role.MEMBER
    assert len(real.audit.audit_events(admin, None, 100, None, None).events) == events_before


def test_tenant_tokens_one_query_newest_first_paginated_and_confined(real: Container) -> None:
    g = real.admin_tokens
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
    real.membership.remove_member(acme, "member@demo")
    assert g.tenant_tokens(acme, None, None, None, 100).tokens == []
    # Policy on use, read from the tenant item by key.
    value = real.tokens.create(member, NewToken(name="long", expires_in_days=30)).value
    assert real.token_policy.set_policy(admin, False, 7, None).tokens_stopped == 5
    with pytest.raises(NotAuthenticated):
        real.authenticator.act_in(real.authenticator.authenticate(value), "demo")
    refused = g.tenant_tokens(admin, "member@demo", TokenState.REFUSED_BY_POLICY, None, 100)
    assert len(refused.tokens) == 5


@on_dynamodb_local_too
def test_admin_revoke_with_event_and_notification(real: Container) -> None:
    # viewer@demo belongs to demo only: the admin's revoke deletes the token
    g = real.admin_tokens
    member = jwt(real, "viewer@demo")
    created = real.tokens.create(member, NewToken(name="laptop", expires_in_days=30))
    admin = jwt(real, "admin@demo")
    g.revoke_token(admin, created.token.id, "policy")
    assert real.token_store.get(created.token.digest) is None
    note = real.notifications.notifications(member, None, 10).notifications[0]
    assert note.token_id == created.token.id and note.tenant == "demo"
    audit = real.audit
    event = audit.audit_events(admin, None, 1, AuditType.TOKEN_REVOKED_BY_ADMIN, None).events[0]
    assert event.origin.source_ip == "198.51.100.1" and event.origin.request_id == "rid-1"
    assert event.actor.credential_kind is CredentialKind.JWT


def test_an_admin_revoke_blocks_in_its_tenant_only(real: Container) -> None:
    # member@demo is a member in demo and a viewer in acme
    member = jwt(real, "member@demo")
    created = real.tokens.create(member, NewToken(name="laptop", expires_in_days=30))
    acme = jwt(real, "admin@acme", "acme")
    real.admin_tokens.revoke_token(acme, created.token.id, "policy")
    auth = real.authenticator
    assert real.token_store.get(created.token.digest) is not None
    assert auth.act_in(auth.authenticate(created.value), "demo").tenant == "demo"
    with pytest.raises(NotAuthenticated):
        auth.act_in(auth.authenticate(created.value), "acme")
    tenant = real.identity_store.get_tenant("acme")
    assert tenant is not None and created.token.id in tenant.blocked_tokens
    # blocked once: a second revoke finds nothing to revoke, and writes nothing
    assert not real.token_ledger.block("acme", created.token, {created.token.id}, [])
    shown = real.admin_tokens.tenant_tokens(acme, "member@demo", None, None, 10).tokens
    assert [t.state for t in shown if t.token.id == created.token.id] == [TokenState.REVOKED]


@on_dynamodb_local_too
def test_a_once_key_lives_beside_the_notices_and_never_lists(real: Container) -> None:
    # Given a notice written once per key, twice
    from sculptops.domain import ids
    from sculptops.domain.governance import Notification

    clock = real.clock
    notes = []
    for i in range(2):
        now = clock.now()
        notes.append(
            Notification(
                ids.sortable_id("ntf", int(now.timestamp() * 1000)),
                "member@demo",
                "token.expiring",
                now,
                f"expires soon {i}",
                token_id="tok_1",
            )
        )
        assert isinstance(clock, FakeClock)
        clock.advance(seconds=1)
    assert real.notification_store.put(notes[0], once_key="tok_1#expiring")
    assert not real.notification_store.put(notes[1], once_key="tok_1#expiring")
    # Then the user's list holds the one notice, and no key item
    member = jwt(real, "member@demo")
    listed = real.notifications.notifications(member, None, 10).notifications
    assert listed == [notes[0]]


def test_a_throttled_revocation_writes_nothing(real: Container) -> None:
    # Given a token, and a TransactWriteItems that the database throttles
    from botocore.exceptions import ClientError

    from sculptops.domain.errors import Unavailable

    member = jwt(real, "member@demo")
    created = real.tokens.create(member, NewToken(name="laptop", expires_in_days=30))
    client = real.token_ledger._conn.client  # type: ignore[attr-defined]

    def throttle(**_: object) -> None:
        error = {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}
        raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", throttle)
    try:
        with pytest.raises(Unavailable):
            real.admin_tokens.revoke_token(jwt(real, "admin@demo"), created.token.id, None)
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", throttle)
    # Then the token, its index entry, and no event nor notice
    assert real.token_store.get(created.token.digest) is not None
    assert real.token_ledger.tenant_token("demo", created.token.id) is not None
    assert real.notifications.notifications(member, None, 10).notifications == []
