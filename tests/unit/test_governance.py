"""Tenant governance on fakes: members and roles, token policy (create, use), the admins' token
list and revoke, the audit log and notifications."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sculptops.bootstrap import Container, build
from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sculptops.domain.governance import AuditType, TokenState
from sculptops.domain.identity import Caller, CredentialKind, Principal, RequestOrigin
from sculptops.domain.roles import Role
from sculptops.local import seed
from sculptops.services.tokens import NewToken
from tests.conftest import SETTINGS
from tests.fakes import (
    FakeClock,
    FakeGovernanceStore,
    FakeIdentityStore,
    FakeJwtVerifier,
    FakeTokenStore,
    fake_stores,
)

ORIGIN = RequestOrigin("203.0.113.7", "curl/8", "req-1")


@pytest.fixture
def gov() -> tuple[Container, FakeGovernanceStore, FakeClock]:
    identities = FakeIdentityStore()
    seed.seed_identity(identities)
    tokens = FakeTokenStore()
    store = FakeGovernanceStore(tokens, identities)
    clock = FakeClock()
    c = build(
        SETTINGS,
        **fake_stores(identity_store=identities, token_store=tokens),
        clock=clock,
        jwt_verifier=FakeJwtVerifier(),
        governance_store=store,
    )
    return c, store, clock


def jwt(c: Container, user_id: str, tenant: str = "demo") -> Caller:
    user = c.identity_store.get_user(user_id)
    assert user is not None
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user_id, user), tenant)
    return replace(caller, origin=ORIGIN)


def use(c: Container, value: str, tenant: str = "demo") -> Caller:
    """What the authorizer does on every request: authenticate, then act in the tenant."""
    return c.authenticator.act_in(c.authenticator.authenticate(value), tenant)


def test_members_listed_by_viewers_changed_by_admins_only(gov: Any) -> None:
    c, _, _ = gov
    g = c.governance
    # Given the seeded demo tenant, when a viewer lists members, then all three are there.
    members = g.members(jwt(c, "viewer@demo"))
    assert [(m.user_id, m.role) for m in members] == [
        ("admin@demo", Role.ADMIN),
        ("member@demo", Role.MEMBER),
        ("viewer@demo", Role.VIEWER),
    ]
    # When a member tries any change, then Forbidden.
    member = jwt(c, "member@demo")
    with pytest.raises(Forbidden):
        g.add_member(member, "x@demo", Role.VIEWER)
    with pytest.raises(Forbidden):
        g.set_role(member, "viewer@demo", Role.ADMIN)
    with pytest.raises(Forbidden):
        g.remove_member(member, "viewer@demo")
    with pytest.raises(Forbidden):
        g.set_policy(member, False, 30, None)
    with pytest.raises(Forbidden):
        g.tenant_tokens(member, None, None, None, 10)
    with pytest.raises(Forbidden):
        g.audit_events(member, None, 10, None, None)


def test_demotion_is_in_force_on_the_next_request_of_an_existing_token(gov: Any) -> None:
    c, store, _ = gov
    member = jwt(c, "member@demo")
    value = c.tokens.create(member, NewToken(name="ci", expires_in_days=30)).value
    assert use(c, value).role is Role.MEMBER
    # When the admin demotes member@demo to viewer, then the very next use acts as viewer.
    c.governance.set_role(jwt(c, "admin@demo"), "member@demo", Role.VIEWER)
    assert use(c, value).role is Role.VIEWER
    # acme is untouched: member@demo is still a viewer there, by its own membership.
    assert use(c, value, "acme").role is Role.VIEWER
    event = store.events[-1]
    assert event.type is AuditType.MEMBER_ROLE_CHANGED
    assert event.details == {"from": "member", "to": "viewer"}
    assert event.actor.user_id == "admin@demo" and event.origin == ORIGIN
    # When removed, then the next request in demo is refused (403), by token and by JWT.
    c.governance.remove_member(jwt(c, "admin@demo"), "member@demo")
    with pytest.raises(Forbidden):
        use(c, value)
    user = c.identity_store.get_user("member@demo")
    with pytest.raises(Forbidden):
        c.authenticator.act_in(Principal(CredentialKind.JWT, "member@demo", user), "demo")


def test_the_last_admin_can_be_neither_demoted_nor_removed(gov: Any) -> None:
    c, _, _ = gov
    admin = jwt(c, "admin@demo")
    with pytest.raises(Conflict):
        c.governance.set_role(admin, "admin@demo", Role.MEMBER)
    with pytest.raises(Conflict):
        c.governance.remove_member(admin, "admin@demo")
    # Given a second admin, the first may step down.
    c.governance.set_role(admin, "member@demo", Role.ADMIN)
    c.governance.set_role(admin, "admin@demo", Role.MEMBER)
    assert c.identity_store.get_user("admin@demo").memberships["demo"] is Role.MEMBER


def test_add_member_by_email_creates_the_user_and_indexes_existing_tokens(gov: Any) -> None:
    c, store, _ = gov
    acme_admin = jwt(c, "admin@acme", "acme")
    # A token of viewer@demo, made before it joins acme.
    value = c.tokens.create(jwt(c, "viewer@demo"), NewToken(name="old")).value
    c.governance.add_member(acme_admin, "Viewer@Demo", Role.MEMBER)
    assert use(c, value, "acme").role is Role.MEMBER
    listed = c.governance.tenant_tokens(acme_admin, None, None, None, 10).tokens
    assert [t.token.name for t in listed] == ["old"]
    # A new person: a user record keyed by the email, matched at first sign-in.
    added = c.governance.add_member(acme_admin, "new@example.com", Role.VIEWER)
    assert added.user_id == "new@example.com"
    assert c.identity_store.get_user("new@example.com").memberships == {"acme": Role.VIEWER}
    with pytest.raises(Conflict):
        c.governance.add_member(acme_admin, "new@example.com", Role.VIEWER)
    with pytest.raises(InvalidInput) as bad:
        c.governance.add_member(acme_admin, "not-an-email", Role.VIEWER)
    assert bad.value.field == "email"
    assert store.events[-1].type is AuditType.MEMBER_ADDED


def test_unknown_member_is_404_and_other_tenants_are_out_of_reach(gov: Any) -> None:
    c, _, _ = gov
    acme_admin = jwt(c, "admin@acme", "acme")
    with pytest.raises(NotFound):
        c.governance.set_role(acme_admin, "viewer@demo", Role.ADMIN)  # a demo-only user
    with pytest.raises(NotFound):
        c.governance.remove_member(acme_admin, "nobody@x")
    # A demo-only token is not in acme's list, and acme's admin cannot revoke it.
    tok = c.tokens.create(jwt(c, "viewer@demo"), NewToken(name="demo-only")).token
    assert c.governance.tenant_tokens(acme_admin, None, None, None, 100).tokens == []
    with pytest.raises(NotFound):
        c.governance.revoke_token(acme_admin, tok.id, None)


def test_policy_enforced_on_create_and_on_use(gov: Any) -> None:
    c, store, _ = gov
    member = jwt(c, "member@demo")
    admin = jwt(c, "admin@demo")
    long_lived = c.tokens.create(member, NewToken(name="30d", expires_in_days=30)).value
    short = c.tokens.create(member, NewToken(name="5d", expires_in_days=5)).value
    # When the admin lowers the maximum to 7 days, then the answer counts the one it stopped.
    change = c.governance.set_policy(admin, False, 7, 3)
    assert change.tokens_stopped == 1
    # Then the 30-day token is refused (401) from the next request on; the 5-day one works.
    with pytest.raises(NotAuthenticated) as refused:
        use(c, long_lived)
    assert refused.value.reason == "policy"
    assert use(c, short).role is Role.MEMBER
    # In acme (no such policy) the same 30-day token still acts.
    assert use(c, long_lived, "acme").role is Role.VIEWER
    # A 30-day create is 422 naming the field; a create without expiry gets the default.
    with pytest.raises(InvalidInput) as bad:
        c.tokens.create(member, NewToken(name="x", expires_in_days=30))
    assert bad.value.field == "expires_in_days"
    made = c.tokens.create(member, NewToken(name="d")).token
    assert (made.expires_at - made.created_at).days == 3
    types = [e.type for e in store.events]
    assert AuditType.POLICY_CHANGED in types and AuditType.TOKEN_REFUSED_BY_POLICY in types
    listed = c.governance.tenant_tokens(admin, None, TokenState.REFUSED_BY_POLICY, None, 10)
    assert [t.token.name for t in listed.tokens] == ["30d"]
    with pytest.raises(InvalidInput) as worse:
        c.governance.set_policy(admin, False, 7, 8)
    assert worse.value.field == "default_lifetime_days"


def test_agent_tokens_are_outside_the_policy(gov: Any) -> None:
    c, _, _ = gov
    admin = jwt(c, "admin@demo")
    agent = c.agents.register(admin, "a1").token
    c.governance.set_policy(admin, False, 1, None)
    principal = c.authenticator.authenticate(agent)
    assert c.authenticator.act_in(principal, "demo").tenant == "demo"


def test_admin_revoke_fails_at_once_and_tells_the_owner_and_the_log(gov: Any) -> None:
    c, store, _ = gov
    member = jwt(c, "member@demo")
    created = c.tokens.create(member, NewToken(name="laptop", expires_in_days=30))
    child = c.tokens.create(use(c, created.value), NewToken(name="child", expires_in_days=1))
    admin = jwt(c, "admin@demo")
    page = c.governance.tenant_tokens(admin, "member@demo", TokenState.ACTIVE, None, 100)
    assert {t.token.name for t in page.tokens} == {"laptop", "child"}
    c.governance.revoke_token(admin, created.token.id, "left the laptop on a train")
    for value in (created.value, child.value):
        with pytest.raises(NotAuthenticated):
            c.authenticator.authenticate(value)
    notes = c.governance.notifications(member, None, 10).notifications
    assert notes[0].type == "token.revoked_by_admin" and notes[0].token_id == created.token.id
    assert "admin@demo" in notes[0].message and "train" in notes[0].message
    events = c.governance.audit_events(
        admin, None, 10, AuditType.TOKEN_REVOKED_BY_ADMIN, "admin@demo"
    ).events
    assert events[0].target_id == created.token.id and events[0].target_user == "member@demo"
    assert events[0].details["reason"] == "left the laptop on a train"
    with pytest.raises(NotFound):
        c.governance.revoke_token(admin, created.token.id, None)
    assert store.notices  # and only the owner sees them
    assert c.governance.notifications(admin, None, 10).notifications == []


def test_token_lifecycle_events_and_pagination(gov: Any) -> None:
    c, _, clock = gov
    member = jwt(c, "member@demo")
    made = []
    for i in range(5):
        clock.advance(seconds=1)
        made.append(c.tokens.create(member, NewToken(name=f"t{i}", expires_in_days=1)).token)
    clock.advance(seconds=1)
    c.tokens.delete(member, made[0].id)
    clock.advance(seconds=1)
    c.tokens.revoke_all(member)
    admin = jwt(c, "admin@demo")
    seen, cursor = [], None
    for _ in range(10):
        page = c.governance.audit_events(admin, cursor, 2, None, None)
        seen.extend(page.events)
        cursor = page.next_cursor
        if cursor is None:
            break
    types = [e.type for e in seen]
    assert types[0] is AuditType.TOKENS_REVOKED_ALL
    assert types.count(AuditType.TOKEN_CREATED) == 5 and AuditType.TOKEN_DELETED in types
    assert [e.id for e in seen] == sorted((e.id for e in seen), reverse=True)
    with pytest.raises(InvalidInput):
        c.governance.audit_events(admin, "garbage", 2, None, None)
    with pytest.raises(InvalidInput):
        c.governance.tenant_tokens(admin, None, None, None, 101)


def test_no_event_or_notice_holds_a_value_a_digest_or_a_jwt(gov: Any) -> None:
    from sculptops.domain.token_format import TokenHasher

    c, store, clock = gov
    jwt_value = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZW1iZXJAZGVtbyJ9.c2lnbmF0dXJl"
    c.authenticator._jwt.valid[jwt_value] = {"sub": "member@demo"}  # type: ignore[union-attr]
    member = c.authenticator.act_in(c.authenticator.authenticate(jwt_value), "demo")
    admin = jwt(c, "admin@demo")
    values = []
    for name in ("a", "b", "c"):
        clock.advance(seconds=1)
        values.append(c.tokens.create(member, NewToken(name=name, expires_in_days=30)))
    c.tokens.delete(use(c, values[0].value), values[1].token.id)
    c.governance.revoke_token(admin, values[2].token.id, "why")
    c.governance.set_policy(admin, False, 7, None)
    c.tokens.revoke_all(member)
    hasher = TokenHasher(SETTINGS.token_pepper)
    secrets = [v.value for v in values] + [hasher.digest(v.value) for v in values] + [jwt_value]
    written = repr(store.events) + repr(store.notices)
    assert len(store.events) >= 7
    for secret in secrets:
        assert secret not in written
