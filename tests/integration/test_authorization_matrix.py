"""Every route x every kind of caller x own/other tenant, generated from serverless.yml.

A route that this table does not know fails the suite: a new route must come with its rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from sculptops.bootstrap import container
from sculptops.domain.identity import CredentialKind, Principal
from sculptops.local import seed
from sculptops.local.routes import load_api
from sculptops.services.tokens import NewToken
from tests.integration.conftest import moto_gateway

RANK = {"viewer": 1, "member": 2, "admin": 3}
# (method, resource with the tenant prefix removed) -> who may: a role, "any", "agent", "public".
RULES = {
    ("GET", "/health"): "public",
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/docs"): "public",
    ("GET", "/api/v1/docs/assets/{name}"): "public",
    # the console's page, bundle and sign-in settings (http/console.py)
    ("GET", "/"): "public",
    ("GET", "/assets/{name}"): "public",
    ("GET", "/console/config.json"): "public",
    ("GET", "/api/v1/me"): "any",
    ("GET", "/me"): "viewer",
    ("POST", "/tokens"): "viewer",
    ("GET", "/tokens"): "viewer",
    ("DELETE", "/tokens"): "viewer",
    ("DELETE", "/tokens/{id}"): "viewer",
    # token lifecycle (issue 14): the token itself; rotate the owner's own (a viewer may)
    ("GET", "/tokens/self"): "viewer",
    ("DELETE", "/tokens/self"): "viewer",
    ("POST", "/tokens/{id}/rotate"): "viewer",
    ("GET", "/playbooks"): "viewer",
    ("POST", "/playbooks"): "admin",
    ("GET", "/playbooks/{id}"): "viewer",
    ("PUT", "/playbooks/{id}"): "admin",
    ("DELETE", "/playbooks/{id}"): "admin",
    ("GET", "/inventories"): "viewer",
    ("POST", "/inventories"): "admin",
    ("GET", "/inventories/{id}"): "viewer",
    ("PUT", "/inventories/{id}"): "admin",
    ("DELETE", "/inventories/{id}"): "admin",
    ("POST", "/executions"): "member",
    ("GET", "/executions"): "viewer",
    ("GET", "/executions/{id}"): "viewer",
    ("POST", "/executions/{id}/cancel"): "member",
    ("DELETE", "/executions/{id}"): "admin",
    ("GET", "/executions/{id}/logs"): "viewer",
    ("GET", "/executions/{id}/logs/stream"): "viewer",
    ("POST", "/executions/{id}/logs/stream-url"): "viewer",
    ("POST", "/agents"): "admin",
    ("GET", "/agents"): "viewer",
    ("DELETE", "/agents/{id}"): "admin",
    ("POST", "/agents/claim"): "agent",
    ("POST", "/executions/{id}/heartbeat"): "agent",
    ("POST", "/executions/{id}/logs"): "agent",
    ("POST", "/executions/{id}/finish"): "agent",
    # governance (issue 13)
    ("GET", "/members"): "viewer",
    ("POST", "/members"): "admin",
    ("PATCH", "/members/{id}"): "admin",
    ("DELETE", "/members/{id}"): "admin",
    ("GET", "/settings/token-policy"): "admin",
    ("PUT", "/settings/token-policy"): "admin",
    ("GET", "/admin/tokens"): "admin",
    ("DELETE", "/admin/tokens/{id}"): "admin",
    ("GET", "/audit-events"): "admin",
    ("GET", "/api/v1/me/notifications"): "any",
    # Anyone may report a leaked token: no authorizer, 202 whatever the values were.
    ("POST", "/api/v1/credentials/revoke"): "public",
}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/tokens"): {"name": "matrix", "expires_in_days": 1},
    ("POST", "/playbooks"): {"name": "m", "content": "- hosts: all\n"},
    ("PUT", "/playbooks/{id}"): {"name": "m", "content": "- hosts: all\n"},
    ("POST", "/inventories"): {"name": "m", "hosts": [{"name": "h1"}]},
    ("PUT", "/inventories/{id}"): {"name": "m", "hosts": [{"name": "h1"}]},
    ("POST", "/executions"): {"playbook_id": seed.PING_ID, "inventory_id": seed.LOCAL_ID},
    ("POST", "/agents"): {"name": "m"},
    ("POST", "/executions/{id}/logs"): {"first_seq": 1, "lines": [{"line": "x"}]},
    ("POST", "/executions/{id}/finish"): {"exit_code": 0},
    # A fresh address per case would grow the tenant; one address: 201 first, then 409.
    ("POST", "/members"): {"email": "matrix@example.com", "role": "viewer"},
    ("PATCH", "/members/{id}"): {"role": "viewer"},
    # The default policy, so that no other case is refused by it.
    ("PUT", "/settings/token-policy"): {"admins_only": False, "max_lifetime_days": 366},
    ("POST", "/api/v1/credentials/revoke"): {"credentials": ["ag_live_not-a-token"]},
}
IDS = {"id": "exe_ffffffffffffffffffffffff", "name": "swagger-ui.css"}
# who -> role per tenant
PERSONAS = {
    "admin": "admin@demo",
    "member": "member@demo",
    "viewer": "viewer@demo",
    "non-member": "admin@acme",
    "agent": "agent",
    "none": None,
}


def _rule(method: str, resource: str) -> tuple[str, bool, str]:
    tenant_scoped = resource.startswith("/api/v1/{tenant_id}")
    if tenant_scoped:
        suffix = resource.removeprefix("/api/v1/{tenant_id}")
    elif resource.startswith("/api/v1/") or resource == "/health":
        suffix = resource
    else:
        suffix = resource.removeprefix("/api")
    key = (method, suffix)
    assert key in RULES, f"no authorization rule for {method} {resource}: add one to RULES"
    return RULES[key], tenant_scoped, suffix


ROUTES = [(r.method, r.resource) for r in load_api().routes]


# The cases that revoke the caller's own tokens: they get a credential of their own, and the
# persona's shared one is made again afterwards (revoke-all takes every token of its owner).
REVOKES_OWN = {("DELETE", "/tokens"), ("DELETE", "/tokens/self")}


@pytest.fixture(scope="module")
def gw() -> Iterator[TestClient]:
    with moto_gateway("matrix") as client:
        yield client


@pytest.fixture(scope="module")
def credentials(gw: TestClient) -> dict[str, str | None]:
    """One credential per persona for the module's gateway, made on first use."""
    return {}


def token_for(persona: str, shared: dict[str, str | None]) -> str | None:
    """The persona's shared credential, made on first use."""
    if persona not in shared:
        shared[persona] = fresh_token(persona)
    return shared[persona]


def fresh_token(persona: str) -> str | None:
    """A new credential for the persona, made directly through the services."""
    c = container()
    user_id = PERSONAS[persona]
    if user_id is None:
        return None
    if user_id == "agent":
        admin = c.identity_store.get_user("admin@demo")
        caller = c.authenticator.act_in(Principal(CredentialKind.JWT, admin.id, admin), "demo")
        return c.agents.register(caller, "matrix").token
    user = c.identity_store.get_user(user_id)
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user_id, user), None)
    return c.tokens.create(caller, NewToken(name="m")).value


def _role(persona: str, tenant: str) -> str | None:
    user_id = PERSONAS[persona]
    if user_id in (None, "agent"):
        return None
    user = next(u for u in seed.USERS if u.id == user_id)
    role = user.memberships.get(tenant)
    return role.value if role else None


def _expected(rule: str, persona: str, tenant: str | None) -> str:
    """'allow', 401 or 403."""
    if rule == "public":
        return "allow"
    if persona == "none":
        return "401"
    if rule == "agent":
        if persona != "agent":
            return "403"
        return "allow" if tenant in (None, "demo") else "403"
    if persona == "agent":
        return "403"
    if rule == "any":
        return "allow"
    active = {"admin": "demo", "member": "demo", "viewer": "demo", "non-member": "acme"}[persona]
    role = _role(persona, tenant or active)
    if role is None:
        return "403"
    return "allow" if RANK[role] >= RANK[rule] else "403"


CASES = [
    (method, resource, persona, tenant)
    for method, resource in ROUTES
    for persona in PERSONAS
    for tenant in (("demo", "acme") if resource.startswith("/api/v1/{tenant_id}") else (None,))
]


@pytest.mark.parametrize(
    ("method", "resource", "persona", "tenant"),
    CASES,
    ids=[f"{m} {r} {p} {t}" for m, r, p, t in CASES],
)
def test_authorization(
    gw, credentials, method: str, resource: str, persona: str, tenant: str | None
) -> None:
    client = gw
    rule, _, suffix = _rule(method, resource)
    if (method, suffix) in REVOKES_OWN:
        token = fresh_token(persona)
        credentials.pop(persona, None)  # revoke-all also takes the shared one
    else:
        token = token_for(persona, credentials)
    path = resource.replace("{tenant_id}", tenant or "")
    for name, value in IDS.items():
        path = path.replace(f"{{{name}}}", value)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = BODIES.get((method, suffix))
    r = client.request(method, path, headers=headers, json=body)
    expected = _expected(rule, persona, tenant)
    if (method, resource) == ("GET", "/console/config.json") and r.status_code == 503:
        # This gateway has no identity provider: the console is "not configured", by name.
        assert "SCULPTOPS_OIDC_ISSUER" in r.text, r.text
        return
    assert r.status_code < 500, f"{r.status_code} {r.text}"
    if expected == "allow":
        assert r.status_code not in (401, 403), f"{r.status_code} {r.text}"
    else:
        assert r.status_code == int(expected), f"{r.status_code} {r.text}"


def test_every_route_has_a_rule() -> None:
    for method, resource in ROUTES:
        _rule(method, resource)
