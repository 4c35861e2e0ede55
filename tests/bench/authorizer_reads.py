"""DynamoDB round trips per authorization, before and after the one-request read.

Counted on moto in-process at two botocore boundaries: every HTTP request a client sends
(`before-send`, once per attempt, so a retry would count) and every API call with the items it
asks for. "Before" is the Authenticator reading one item after another (as `bootstrap.build`
wires it for the route functions); "after" is the authorizer's own composition
(`sculptops.aws.authentication`), whose token check on a tenant's route reads the token, its owner
(by the owner key the value carries) and the tenant in one BatchGetItem. A value made before
values carried the owner key reads its owner after the token: one round trip more. Warm: each credential was used a moment before, so its last use is
already recorded (a first use in a minute adds one conditional UpdateItem).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

from tests.bench.requests import counting_moto

_sends: Counter[str] = Counter()
_calls: Counter[str] = Counter()
_items: Counter[str] = Counter()
_original = botocore.client.BaseClient._make_api_call
_hooked: set[int] = set()


def _on_send(**kwargs: Any) -> None:
    _sends[str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]] += 1


def _keys(operation: str, params: dict[str, Any]) -> int:
    if operation == "GetItem":
        return 1
    if operation == "BatchGetItem":
        return sum(len(t.get("Keys", [])) for t in params.get("RequestItems", {}).values())
    return 0


def _counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
    if self.meta.service_model.service_name == "dynamodb":
        if id(self) not in _hooked:
            self.meta.events.register_first("before-send.dynamodb", _on_send)
            _hooked.add(id(self))
        _calls[operation] += 1
        _items[operation] += _keys(operation, params)
    return _original(self, operation, params)


@contextmanager
def counted() -> Iterator[dict[str, Counter[str]]]:
    _sends.clear()
    _calls.clear()
    _items.clear()
    seen: dict[str, Counter[str]] = {"sends": Counter(), "calls": Counter(), "items": Counter()}
    yield seen
    seen["sends"].update(_sends)
    seen["calls"].update(_calls)
    seen["items"].update(_items)


Result = dict[str, dict[str, dict[str, int]]]  # case -> before/after -> counts


def measure() -> Result:
    try:
        with counting_moto(_counting):
            return _measure()
    finally:
        _hooked.clear()


def _measure() -> Result:
    from sculptops.adapters.oidc import JwksAccessTokenVerifier
    from sculptops.aws.authentication import authenticator_for
    from sculptops.aws.authorizer import authorize
    from sculptops.bootstrap import build
    from sculptops.domain.identity import CredentialKind, Principal
    from sculptops.local import seed
    from sculptops.local.devidp import DevIdentityProvider
    from sculptops.local.tables import create_tables
    from sculptops.services.tokens import NewToken
    from sculptops.settings import Settings
    from tests.bench.common import ROUTE_EVENT

    issuer = "http://127.0.0.1:9/dev/oidc"
    idp = DevIdentityProvider(issuer, {"admin@demo"})

    def verifier() -> JwksAccessTokenVerifier:
        return JwksAccessTokenVerifier(
            issuer=issuer,
            audience="account",
            jwks_url=f"{issuer}/jwks.json",
            fetch=lambda _: idp.jwks(),
        )

    settings = Settings(token_pepper=b"bench-pepper-0123456789", dynamodb_max_retries=0)
    create_tables(settings)
    c = build(settings, jwt_verifier=verifier())
    seed.seed_identity(c.identity_store)
    user = c.identity_store.get_user("admin@demo")
    assert user is not None
    admin = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), "demo")
    token = c.tokens.create(admin, NewToken(name="bench")).value
    legacy = _legacy_value(c, admin)
    agent = c.agents.register(admin, "bench").token
    jwt = idp.issue("admin@demo")["access_token"]
    authenticators = {
        "before": c.authenticator,
        "after": authenticator_for(settings, jwt_verifier=verifier()),
    }

    def event(value: str, resource: str, tenant: str | None) -> dict[str, Any]:
        return {
            **ROUTE_EVENT,
            "resource": resource,
            "path": resource.replace("{tenant_id}", tenant or ""),
            "pathParameters": {"tenant_id": tenant} if tenant else None,
            "headers": {"Authorization": f"Bearer {value}"},
        }

    cases: dict[str, dict[str, Any]] = {
        "personal token, tenant route (/api/v1/demo/me)": event(
            token, "/api/v1/{tenant_id}/me", "demo"
        ),
        "personal token, active tenant (/api/playbooks)": event(token, "/api/playbooks", None),
        "personal token made before the owner key, tenant route": event(
            legacy, "/api/v1/{tenant_id}/me", "demo"
        ),
        "agent token (/api/v1/demo/agents/claim)": event(
            agent, "/api/v1/{tenant_id}/agents/claim", "demo"
        ),
        "JWT, tenant route (JWKS cached)": event(jwt, "/api/v1/{tenant_id}/me", "demo"),
        "malformed token": event("ag_live_" + "A" * 36, "/api/v1/{tenant_id}/me", "demo"),
    }
    results: Result = {}
    for name, ev in cases.items():
        results[name] = {}
        for when, authenticator in authenticators.items():

            def once(a: Any = authenticator, e: dict[str, Any] = ev) -> None:
                try:
                    authorize(a, e)
                except Exception:
                    pass

            once()  # warm: last use recorded, JWKS fetched, clients made
            with counted() as seen:
                once()
            results[name][when] = {
                "round trips": sum(seen["sends"].values()),
                "items": sum(seen["items"].values()),
                **{f"op:{op}": n for op, n in seen["calls"].items()},
            }
    return results


def _legacy_value(c: Any, caller: Any) -> str:
    """A personal token as made before values carried the owner key (the short body)."""
    from dataclasses import replace

    from sculptops.domain import ids, token_format
    from sculptops.services.tokens import NewToken

    token = c.tokens.create(caller, NewToken(name="legacy")).token
    value = token_format.generate(c.settings.token_prefix)
    digest = token_format.TokenHasher(c.settings.token_pepper).digest(value)
    c.token_store.put(replace(token, digest=digest, id=ids.sortable_id("tok", 1)))
    return value


def _ops(counts: dict[str, int]) -> str:
    ops = sorted((k.removeprefix("op:"), n) for k, n in counts.items() if k.startswith("op:"))
    return ", ".join(f"{op} {n}" for op, n in ops) or "none"


def table(results: Result) -> str:
    lines = [
        "| authorization (warm) | round trips before | of which | round trips after "
        "| of which | items read |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        b, a = r["before"], r["after"]
        lines.append(
            f"| {name} | {b['round trips']} | {_ops(b)} | **{a['round trips']}** | {_ops(a)} "
            f"| {a['items']} |"
        )
    return "\n".join(lines)


def check(results: Result) -> list[str]:
    """The promises, as failures (empty when all hold)."""
    want = {
        "personal token, tenant route (/api/v1/demo/me)": 1,
        "personal token, active tenant (/api/playbooks)": 2,
        "personal token made before the owner key, tenant route": 2,
        "agent token (/api/v1/demo/agents/claim)": 1,
        "JWT, tenant route (JWKS cached)": 1,
        "malformed token": 0,
    }
    return [
        f"{name}: {results[name]['after']['round trips']} round trips, want {n}"
        for name, n in want.items()
        if results[name]["after"]["round trips"] != n
    ]


def run(measure_fn: Callable[[], Result] = measure) -> str:
    results = measure_fn()
    failures = check(results)
    verdict = "all as promised" if not failures else "MISSED: " + "; ".join(failures)
    return table(results) + (
        "\n\nTargets (tenant route 1, active tenant 2, a value without the owner key 2, agent 1, "
        f"JWT 1, malformed 0): {verdict}."
    )


if __name__ == "__main__":
    print(run())
