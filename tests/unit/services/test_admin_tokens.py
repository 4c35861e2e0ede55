"""AdminTokenService on fakes: the admins' list of a tenant's tokens, and revocation by an admin
(at once, the tokens it minted too, the owner notified, the audit log says who and why)."""

from __future__ import annotations

from typing import Any

import pytest

from sculptops.domain.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from sculptops.domain.governance import AuditType, TokenState
from sculptops.services.tokens import NewToken
from tests.unit.services.governance_helpers import events, jwt, notices, use


def test_only_admins_list_or_revoke(gov: Any) -> None:
    c, _ = gov
    member = jwt(c, "member@demo")
    tok = c.tokens.create(member, NewToken(name="mine")).token
    with pytest.raises(Forbidden):
        c.admin_tokens.tenant_tokens(member, None, None, None, 10)
    with pytest.raises(Forbidden):
        c.admin_tokens.revoke_token(member, tok.id, None)
    assert c.token_store.get(tok.digest) is not None


def test_other_tenants_tokens_are_out_of_reach(gov: Any) -> None:
    c, _ = gov
    acme_admin = jwt(c, "admin@acme", "acme")
    # A demo-only token is not in acme's list, and acme's admin cannot revoke it.
    tok = c.tokens.create(jwt(c, "viewer@demo"), NewToken(name="demo-only")).token
    assert c.admin_tokens.tenant_tokens(acme_admin, None, None, None, 100).tokens == []
    with pytest.raises(NotFound):
        c.admin_tokens.revoke_token(acme_admin, tok.id, None)
    assert c.token_store.get(tok.digest) is not None


def test_admin_revoke_fails_at_once_and_tells_the_owner_and_the_log(gov: Any) -> None:
    # viewer@demo belongs to demo only: an admin's revoke there deletes the token
    c, _ = gov
    member = jwt(c, "viewer@demo")
    created = c.tokens.create(member, NewToken(name="laptop", expires_in_days=30))
    child = c.tokens.create(use(c, created.value), NewToken(name="child", expires_in_days=1))
    admin = jwt(c, "admin@demo")
    page = c.admin_tokens.tenant_tokens(admin, "viewer@demo", TokenState.ACTIVE, None, 100)
    assert {t.token.name for t in page.tokens} == {"laptop", "child"}
    c.admin_tokens.revoke_token(admin, created.token.id, "left the laptop on a train")
    for value in (created.value, child.value):
        with pytest.raises(NotAuthenticated):
            c.authenticator.authenticate(value)
    notes = c.notifications.notifications(member, None, 10).notifications
    assert notes[0].type == "token.revoked_by_admin" and notes[0].token_id == created.token.id
    assert "admin@demo" in notes[0].message and "train" in notes[0].message
    found = c.audit.audit_events(
        admin, None, 10, AuditType.TOKEN_REVOKED_BY_ADMIN, "admin@demo"
    ).events
    # one event per token that stopped working (both of one instant: in either order)
    assert {e.target_id for e in found} == {child.token.id, created.token.id}
    parent = next(e for e in found if e.target_id == created.token.id)
    assert parent.target_user == "viewer@demo"
    assert parent.details["reason"] == "left the laptop on a train"
    # The revoked token left the tenant's index with it.
    assert c.token_ledger.tenant_token("demo", created.token.id) is None
    with pytest.raises(NotFound):
        c.admin_tokens.revoke_token(admin, created.token.id, None)
    assert notices(c)  # and only the owner sees them
    assert c.notifications.notifications(admin, None, 10).notifications == []


def test_an_admin_revoke_of_a_token_whose_owner_has_other_tenants_acts_here_only(
    gov: Any,
) -> None:
    # Given member@demo (a member in demo, a viewer in acme), a token and the token it minted
    c, _ = gov
    member = jwt(c, "member@demo")
    created = c.tokens.create(member, NewToken(name="laptop", expires_in_days=30))
    child = c.tokens.create(use(c, created.value), NewToken(name="child", expires_in_days=1))
    acme = jwt(c, "admin@acme", "acme")
    # When acme's admin revokes it
    c.admin_tokens.revoke_token(acme, created.token.id, "not in acme")
    # Then both are refused in acme and still work in demo
    for value in (created.value, child.value):
        with pytest.raises(NotAuthenticated):
            use(c, value, "acme")
        assert use(c, value, "demo").tenant == "demo"
    # A child minted afterwards (in demo) is refused in acme too
    late = c.tokens.create(use(c, created.value), NewToken(name="late", expires_in_days=1))
    with pytest.raises(NotAuthenticated):
        use(c, late.value, "acme")
    # acme's list shows them revoked, demo's active; a second revoke is 404
    shown = c.admin_tokens.tenant_tokens(acme, "member@demo", None, None, 100).tokens
    assert {t.token.id: t.state for t in shown}[created.token.id] is TokenState.REVOKED
    demo = c.admin_tokens.tenant_tokens(jwt(c, "admin@demo"), "member@demo", None, None, 100)
    assert {t.token.id: t.state for t in demo.tokens}[created.token.id] is TokenState.ACTIVE
    with pytest.raises(NotFound):
        c.admin_tokens.revoke_token(acme, created.token.id, None)
    # acme's log has an event per token, each naming the tenant; the owner is told where
    found = c.audit.audit_events(acme, None, 10, AuditType.TOKEN_REVOKED_BY_ADMIN, None).events
    assert {e.target_id for e in found} == {created.token.id, child.token.id}
    assert {e.details["tenant"] for e in found} == {"acme"}
    note = c.notifications.notifications(member, None, 10).notifications[0]
    assert "in tenant acme only" in note.message and note.tenant == "acme"


def test_a_revoke_that_finds_the_token_gone_is_404_and_writes_nothing(gov: Any) -> None:
    # Given a token deleted by its owner between the admin's read and the revocation
    c, _ = gov
    member = jwt(c, "member@demo")
    tok = c.tokens.create(member, NewToken(name="gone")).token
    admin = jwt(c, "admin@demo")
    ledger = c.token_ledger
    read = ledger.tenant_token

    def read_then_owner_deletes(tenant: str, token_id: str) -> Any:
        found = read(tenant, token_id)
        c.token_store.delete(tok)
        return found

    ledger.tenant_token = read_then_owner_deletes
    written = len(events(c))
    # When the admin revokes it, Then 404, no event, no notice
    with pytest.raises(NotFound):
        c.admin_tokens.revoke_token(admin, tok.id, "why")
    assert len(events(c)) == written and notices(c) == []


def test_bad_input_names_the_field(gov: Any) -> None:
    c, _ = gov
    admin = jwt(c, "admin@demo")
    with pytest.raises(InvalidInput) as limit:
        c.admin_tokens.tenant_tokens(admin, None, None, None, 101)
    assert limit.value.field == "limit"
    with pytest.raises(InvalidInput) as cursor:
        c.admin_tokens.tenant_tokens(admin, None, None, "garbage", 10)
    assert cursor.value.field == "cursor"
    tok = c.tokens.create(jwt(c, "member@demo"), NewToken(name="t")).token
    with pytest.raises(InvalidInput) as reason:
        c.admin_tokens.revoke_token(admin, tok.id, "x" * 201)
    assert reason.value.field == "reason"
