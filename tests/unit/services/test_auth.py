"""Authenticator on fakes, beside tests/unit/test_authenticate.py and test_stream_ticket.py:
agent tokens, JWTs and tenants."""

from __future__ import annotations

import pytest

from sculptops.domain.errors import Forbidden, NotAuthenticated
from sculptops.domain.identity import CredentialKind
from sculptops.domain.roles import Role


def test_an_agent_token_acts_in_its_own_tenant_only(c, admin):
    value = c.agents.register(admin, "a").token
    principal = c.authenticator.authenticate(value)
    assert principal.kind is CredentialKind.AGENT
    caller = c.authenticator.act_in(principal, "active")
    assert caller.tenant == "demo" and caller.role is None
    with pytest.raises(Forbidden):
        c.authenticator.act_in(principal, "acme")


def test_an_agent_token_is_not_a_personal_token(c, admin):
    # Given an agent token with its prefix swapped for the personal one
    value = c.agents.register(admin, "a").token
    forged = c.settings.token_prefix + value[len(c.settings.agent_token_prefix) :]
    # Then it is refused (malformed: the checksum covers the prefix, or unknown)
    with pytest.raises(NotAuthenticated):
        c.authenticator.authenticate(forged)


def test_a_verified_jwt_acts_as_its_user_and_an_unknown_subject_is_forbidden(c):
    verifier = c.authenticator._jwt
    verifier.valid["eyJa.b.c"] = {"sub": "member@demo", "exp": 2_000_000_000}
    verifier.valid["eyJx.y.z"] = {"sub": "stranger@nowhere"}
    principal = c.authenticator.authenticate("eyJa.b.c")
    assert principal.kind is CredentialKind.JWT and principal.subject == "member@demo"
    assert c.authenticator.act_in(principal, "acme").role is Role.VIEWER
    with pytest.raises(Forbidden):
        c.authenticator.authenticate("eyJx.y.z")
    with pytest.raises(NotAuthenticated):
        c.authenticator.authenticate("eyJn.o.t")


def test_a_tenant_the_user_is_not_in_is_forbidden_whether_it_exists_or_not(c):
    user = c.identity_store.get_user("viewer@demo")
    from sculptops.domain.identity import Principal

    principal = Principal(CredentialKind.JWT, user.id, user)
    for tenant in ("acme", "nowhere", "Bad Slug!"):
        with pytest.raises(Forbidden):
            c.authenticator.act_in(principal, tenant)
