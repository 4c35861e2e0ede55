"""Warm CPU time of one authorization, with the stores answered in-process (no network).

Compared with a minimal bound written here: compute the token's digest and look it up in a
dict, the least any digest-keyed authorizer must do.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from sculptops.aws.authorizer import authorize
from sculptops.bootstrap import build
from sculptops.domain import token_format
from sculptops.domain.identity import CredentialKind, Principal
from sculptops.domain.tokens import StoredToken
from sculptops.local import seed
from sculptops.local.devidp import DevIdentityProvider
from sculptops.services.tokens import NewToken
from sculptops.settings import Settings
from tests.bench.common import ROUTE_EVENT
from tests.fakes import FakeIdentityStore, fake_stores

N = 3000
PEPPER = b"bench-pepper-0123456789"


def _cpu_per_call(fn: Any, n: int = N) -> float:
    for _ in range(50):
        fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e6  # microseconds


def measure() -> dict[str, float]:
    from sculptops.adapters.oidc import JwksAccessTokenVerifier

    issuer = "http://127.0.0.1:9/dev/oidc"
    idp = DevIdentityProvider(issuer, {"admin@demo"})
    verifier = JwksAccessTokenVerifier(
        issuer=issuer,
        audience="account",
        jwks_url=f"{issuer}/jwks.json",
        fetch=lambda _: idp.jwks(),
    )
    identities = FakeIdentityStore()
    seed.seed_identity(identities)
    c = build(
        Settings(token_pepper=PEPPER),
        **fake_stores(identity_store=identities),
        jwt_verifier=verifier,
    )
    user = identities.get_user("admin@demo")
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), "demo")
    token = c.tokens.create(caller, NewToken(name="bench")).value
    agent = token_format.generate("ag_agent_")
    c.token_store.put(
        StoredToken(
            digest=c.authenticator._hasher.digest(agent),
            id="tok_000000000000000000000001",
            kind=CredentialKind.AGENT,
            owner="agt_000000000000000000000001",
            name="bench",
            created_at=c.clock.now(),
            expires_at=None,
            tenant="demo",
        )
    )
    jwt = idp.issue("admin@demo")["access_token"]

    def event(value: str, resource: str = "/api/v1/me") -> dict[str, Any]:
        return {
            **ROUTE_EVENT,
            "resource": resource,
            "headers": {"Authorization": f"Bearer {value}"},
        }

    def refuse(value: str) -> None:
        try:
            authorize(c.authenticator, event(value))
        except Exception:
            pass

    table = {c.authenticator._hasher.digest(token): {"owner": "admin@demo"}}

    def bound() -> None:
        digest = hmac.new(PEPPER, token.encode(), hashlib.sha256).hexdigest()
        assert table[digest]

    return {
        "bound (digest + dict lookup)": _cpu_per_call(bound),
        "personal token": _cpu_per_call(lambda: authorize(c.authenticator, event(token))),
        "agent token": _cpu_per_call(
            lambda: authorize(
                c.authenticator,
                {
                    **event(agent, "/api/v1/{tenant_id}/agents/claim"),
                    "pathParameters": {"tenant_id": "demo"},
                },
            )
        ),
        "JWT (RS256)": _cpu_per_call(lambda: authorize(c.authenticator, event(jwt)), 1000),
        "malformed token": _cpu_per_call(lambda: refuse("ag_live_" + "A" * 36)),
    }


def table(results: dict[str, float]) -> str:
    bound = results["bound (digest + dict lookup)"]
    lines = ["| credential | CPU per authorization (µs) | × bound |", "|---|---|---|"]
    for name, us in results.items():
        lines.append(f"| {name} | {us:.1f} | {us / bound:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure()))
