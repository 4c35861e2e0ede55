"""IdentityService on fakes: who the caller is, their tenants and the role each request has."""

from __future__ import annotations

import pytest

from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.conftest import session


def test_me_lists_every_tenant_with_its_role_and_name(c):
    # Given member@demo, a member of demo and a viewer of acme, signed in with a JWT
    me = c.identity.me(session(c, "member@demo"))
    # Then both tenants, sorted, named, with the user's role there
    assert [(m.tenant, m.name, m.role) for m in me.memberships] == [
        ("acme", "Acme", Role.VIEWER),
        ("demo", "Demo", Role.MEMBER),
    ]
    assert me.user is not None and me.user.id == "member@demo"


def test_a_ceiling_caps_every_role_shown(c):
    # Given an admin's token with a viewer ceiling
    value = c.tokens.create(session(c, "admin@demo"), NewToken("ro", ceiling=Role.VIEWER)).value
    caller = c.authenticator.act_in(c.authenticator.authenticate(value), "demo")
    # Then /me shows viewer wherever the admin is more
    assert {m.role for m in c.identity.me(caller).memberships} == {Role.VIEWER}


def test_an_agent_has_no_user_and_no_tenants(c, agent):
    me = c.identity.me(agent)
    assert me.user is None and me.memberships == []


def test_a_deleted_user_is_not_authenticated(c):
    caller = session(c, "viewer@demo")
    del c.identity_store.users["viewer@demo"]
    with pytest.raises(NotAuthenticated):
        c.identity.me(caller)
