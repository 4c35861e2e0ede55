"""MemberService on fakes: list (viewer+), add, change a role, remove (admins), never the last
admin; each change in force on the member's next request and in the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from sculptops.domain.governance import AuditType
from sculptops.domain.identity import CredentialKind, Principal
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.unit.services.governance_helpers import ORIGIN, events, jwt, use


def test_members_listed_by_viewers_changed_by_admins_only(gov: Any) -> None:
    c, _ = gov
    m = c.membership
    # Given the seeded demo tenant, when a viewer lists members, then all three are there.
    members = m.members(jwt(c, "viewer@demo"))
    assert [(x.user_id, x.role) for x in members] == [
        ("admin@demo", Role.ADMIN),
        ("member@demo", Role.MEMBER),
        ("viewer@demo", Role.VIEWER),
    ]
    # When a member tries any change, then Forbidden, and nothing is written.
    member = jwt(c, "member@demo")
    with pytest.raises(Forbidden):
        m.add_member(member, "x@demo", Role.VIEWER)
    with pytest.raises(Forbidden):
        m.set_role(member, "viewer@demo", Role.ADMIN)
    with pytest.raises(Forbidden):
        m.remove_member(member, "viewer@demo")
    assert events(c) == []


def test_demotion_is_in_force_on_the_next_request_of_an_existing_token(gov: Any) -> None:
    c, _ = gov
    member = jwt(c, "member@demo")
    value = c.tokens.create(member, NewToken(name="ci", expires_in_days=30)).value
    assert use(c, value).role is Role.MEMBER
    # When the admin demotes member@demo to viewer, then the very next use acts as viewer.
    c.membership.set_role(jwt(c, "admin@demo"), "member@demo", Role.VIEWER)
    assert use(c, value).role is Role.VIEWER
    # acme is untouched: member@demo is still a viewer there, by its own membership.
    assert use(c, value, "acme").role is Role.VIEWER
    event = events(c)[-1]
    assert event.type is AuditType.MEMBER_ROLE_CHANGED
    assert event.details == {"from": "member", "to": "viewer"}
    assert event.actor.user_id == "admin@demo" and event.origin == ORIGIN
    # When removed, then the next request in demo is refused (403), by token and by JWT.
    c.membership.remove_member(jwt(c, "admin@demo"), "member@demo")
    assert events(c)[-1].type is AuditType.MEMBER_REMOVED
    with pytest.raises(Forbidden):
        use(c, value)
    user = c.identity_store.get_user("member@demo")
    with pytest.raises(Forbidden):
        c.authenticator.act_in(Principal(CredentialKind.JWT, "member@demo", user), "demo")


def test_the_last_admin_can_be_neither_demoted_nor_removed(gov: Any) -> None:
    c, _ = gov
    admin = jwt(c, "admin@demo")
    with pytest.raises(Conflict):
        c.membership.set_role(admin, "admin@demo", Role.MEMBER)
    with pytest.raises(Conflict):
        c.membership.remove_member(admin, "admin@demo")
    # Given a second admin, the first may step down.
    c.membership.set_role(admin, "member@demo", Role.ADMIN)
    c.membership.set_role(admin, "admin@demo", Role.MEMBER)
    assert c.identity_store.get_user("admin@demo").memberships["demo"] is Role.MEMBER


def test_a_change_read_before_a_concurrent_one_is_a_conflict(gov: Any) -> None:
    # Given an admin's change whose read of the members is overtaken by another change
    c, _ = gov
    admin = jwt(c, "admin@demo")
    store = c.members
    read = store.list_members

    def overtaken(tenant: str) -> Any:
        members, revision = read(tenant)
        store.list_members = read
        c.membership.set_role(admin, "viewer@demo", Role.MEMBER)  # lands first
        return members, revision

    store.list_members = overtaken
    # When it is written, Then Conflict, and only the first change holds.
    with pytest.raises(Conflict):
        c.membership.set_role(admin, "member@demo", Role.VIEWER)
    assert c.identity_store.get_user("member@demo").memberships["demo"] is Role.MEMBER
    assert c.identity_store.get_user("viewer@demo").memberships["demo"] is Role.MEMBER


def test_add_member_by_email_creates_the_user_and_indexes_existing_tokens(gov: Any) -> None:
    c, _ = gov
    acme_admin = jwt(c, "admin@acme", "acme")
    # A token of viewer@demo, made before it joins acme.
    value = c.tokens.create(jwt(c, "viewer@demo"), NewToken(name="old")).value
    c.membership.add_member(acme_admin, "Viewer@Demo", Role.MEMBER)
    assert use(c, value, "acme").role is Role.MEMBER
    listed = c.admin_tokens.tenant_tokens(acme_admin, None, None, None, 10).tokens
    assert [t.token.name for t in listed] == ["old"]
    # A new person: a user record keyed by the email, matched at first sign-in.
    added = c.membership.add_member(acme_admin, "new@example.com", Role.VIEWER)
    assert added.user_id == "new@example.com"
    assert c.identity_store.get_user("new@example.com").memberships == {"acme": Role.VIEWER}
    with pytest.raises(Conflict):
        c.membership.add_member(acme_admin, "new@example.com", Role.VIEWER)
    with pytest.raises(InvalidInput) as bad:
        c.membership.add_member(acme_admin, "not-an-email", Role.VIEWER)
    assert bad.value.field == "email"
    assert events(c)[-1].type is AuditType.MEMBER_ADDED


def test_a_removed_member_s_tokens_leave_the_admins_list(gov: Any) -> None:
    # Given viewer@demo's token, listed in acme once it joins acme
    c, _ = gov
    acme_admin = jwt(c, "admin@acme", "acme")
    c.tokens.create(jwt(c, "viewer@demo"), NewToken(name="old"))
    c.membership.add_member(acme_admin, "viewer@demo", Role.MEMBER)
    assert c.admin_tokens.tenant_tokens(acme_admin, None, None, None, 10).tokens
    # When removed from acme, Then acme's index no longer holds it
    c.membership.remove_member(acme_admin, "viewer@demo")
    assert c.token_ledger.tenant_tokens("acme", None, 10).tokens == []


def test_unknown_member_is_404(gov: Any) -> None:
    c, _ = gov
    acme_admin = jwt(c, "admin@acme", "acme")
    with pytest.raises(NotFound):
        c.membership.set_role(acme_admin, "viewer@demo", Role.ADMIN)  # a demo-only user
    with pytest.raises(NotFound):
        c.membership.remove_member(acme_admin, "nobody@x")
