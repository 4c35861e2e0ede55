"""TokenPolicyService on fakes: admins set the policy; it binds creates and every use."""

from __future__ import annotations

from typing import Any

import pytest

from sculptops.domain.errors import Forbidden, InvalidInput, NotAuthenticated
from sculptops.domain.governance import AuditType, TokenState
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.unit.services.governance_helpers import events, jwt, use


def test_only_admins_read_or_set_the_policy(gov: Any) -> None:
    c, _ = gov
    member = jwt(c, "member@demo")
    with pytest.raises(Forbidden):
        c.token_policy.set_policy(member, False, 30, None)
    with pytest.raises(Forbidden):
        c.token_policy.policy(member)
    assert (
        c.token_policy.policy(jwt(c, "admin@demo"))
        == c.identity_store.get_tenant("demo").token_policy
    )
    assert events(c) == []


def test_policy_enforced_on_create_and_on_use(gov: Any) -> None:
    c, _ = gov
    member = jwt(c, "member@demo")
    admin = jwt(c, "admin@demo")
    long_lived = c.tokens.create(member, NewToken(name="30d", expires_in_days=30)).value
    short = c.tokens.create(member, NewToken(name="5d", expires_in_days=5)).value
    # When the admin lowers the maximum to 7 days, then the answer counts the one it stopped.
    change = c.token_policy.set_policy(admin, False, 7, 3)
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
    types = [e.type for e in events(c)]
    assert AuditType.POLICY_CHANGED in types and AuditType.TOKEN_REFUSED_BY_POLICY in types
    refusals = [e for e in events(c) if e.type is AuditType.TOKEN_REFUSED_BY_POLICY]
    assert [e.details["name"] for e in refusals] == ["30d"]
    listed = c.admin_tokens.tenant_tokens(admin, None, TokenState.REFUSED_BY_POLICY, None, 10)
    assert [t.token.name for t in listed.tokens] == ["30d"]
    with pytest.raises(InvalidInput) as worse:
        c.token_policy.set_policy(admin, False, 7, 8)
    assert worse.value.field == "default_lifetime_days"


def test_agent_tokens_are_outside_the_policy(gov: Any) -> None:
    c, _ = gov
    admin = jwt(c, "admin@demo")
    agent = c.agents.register(admin, "a1").token
    c.token_policy.set_policy(admin, False, 1, None)
    principal = c.authenticator.authenticate(agent)
    assert c.authenticator.act_in(principal, "demo").tenant == "demo"
