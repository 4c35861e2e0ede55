"""DynamoDB requests per operation, counted at botocore's API-call boundary (moto in-process),
and what a million of each costs."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
from moto import mock_aws

_calls: Counter[str] = Counter()
_original = botocore.client.BaseClient._make_api_call


def _counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
    if self.meta.service_model.service_name == "dynamodb":
        _calls[operation] += 1
    return _original(self, operation, params)


@contextmanager
def counting_moto(
    counter: Callable[[Any, str, dict[str, Any]], Any] | None = None,
) -> Iterator[None]:
    """moto in-process with bench credentials and every API call going through `counter`
    (this module's DynamoDB counter by default); the environment and botocore restored after.
    A process whose AWS credentials change under it talks to another DynamoDB Local database
    (one per access key) from then on: the suite calls these benches too."""
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    botocore.client.BaseClient._make_api_call = counter or _counting  # type: ignore[method-assign]
    try:
        with mock_aws():
            yield
    finally:
        botocore.client.BaseClient._make_api_call = _original  # type: ignore[method-assign]
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def counted() -> Iterator[Counter[str]]:
    _calls.clear()
    seen: Counter[str] = Counter()
    yield seen
    seen.update(_calls)


def measure() -> tuple[dict[str, dict[str, int]], dict[str, float]]:
    with counting_moto():
        return _measure()


def _measure() -> tuple[dict[str, dict[str, int]], dict[str, float]]:
    from sculptops.aws.authorizer import authorize
    from sculptops.bootstrap import build
    from sculptops.domain.identity import CredentialKind, Principal
    from sculptops.local import seed
    from sculptops.local.devidp import DevIdentityProvider
    from sculptops.local.tables import create_tables
    from sculptops.services.agents import RawLine
    from sculptops.services.executions import NewExecution
    from sculptops.services.tokens import NewToken
    from sculptops.settings import Settings
    from tests.bench.common import ROUTE_EVENT

    issuer = "http://127.0.0.1:9/dev/oidc"
    idp = DevIdentityProvider(issuer, {"admin@demo"})
    fetches: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetches.append(url)
        return idp.jwks()

    from sculptops.adapters.oidc import JwksAccessTokenVerifier

    settings = Settings(token_pepper=b"bench-pepper-0123456789", dynamodb_max_retries=0)
    create_tables(settings)
    c = build(
        settings,
        jwt_verifier=JwksAccessTokenVerifier(
            issuer=issuer, audience="account", jwks_url=f"{issuer}/jwks.json", fetch=fetch
        ),
    )
    seed.seed_identity(c.identity_store)
    seed.seed_catalog(c.catalog_store)
    user = c.identity_store.get_user("admin@demo")
    admin = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), "demo")
    results: dict[str, dict[str, int]] = {}

    def count(name: str, action: Callable[[], Any]) -> Any:
        with counted() as seen:
            out = action()
        results[name] = dict(seen)
        return out

    def ev(value: str) -> dict[str, Any]:
        return {**ROUTE_EVENT, "headers": {"Authorization": f"Bearer {value}"}}

    token = count("create token", lambda: c.tokens.create(admin, NewToken(name="t"))).value
    authorize(c.authenticator, ev(token))  # first use records last_used_at
    count("authorize: token (warm)", lambda: authorize(c.authenticator, ev(token)))
    jwt = idp.issue("admin@demo")["access_token"]
    authorize(c.authenticator, ev(jwt))
    count("authorize: JWT (JWKS cached)", lambda: authorize(c.authenticator, ev(jwt)))
    assert len(fetches) == 1, fetches

    def malformed() -> None:
        try:
            authorize(c.authenticator, ev("ag_live_" + "A" * 36))
        except Exception:
            pass

    count("authorize: malformed token", malformed)
    for i in range(100):
        c.tokens.create(admin, NewToken(name=f"n{i}"))
    count("revoke all (101 tokens)", lambda: c.tokens.revoke_all(admin))
    request = NewExecution(seed.PING_ID, seed.LOCAL_ID, {}, [], None)
    run = count("trigger", lambda: c.executions.trigger(admin, request))
    agent_token = c.agents.register(admin, "bench").token
    agent = c.authenticator.act_in(c.authenticator.authenticate(agent_token), "demo")
    count("claim", lambda: c.agents.claim(agent))
    lines = [RawLine(f"line {i}") for i in range(100)]
    count("log batch of 100 lines", lambda: c.agents.append_logs(agent, run.id, 1, lines))
    count("empty poll (caught up)", lambda: c.executions.logs(admin, run.id, 100, 500))

    timings: dict[str, float] = {}
    for size in (1_000, 100_000):
        e = c.executions.trigger(admin, request)
        c.agents.claim(agent)
        seq = 1
        while seq <= size:
            batch = [RawLine(f"line {seq + i}") for i in range(min(1000, size - seq + 1))]
            seq = c.agents.append_logs(agent, e.id, seq, batch)
        c.agents.finish(agent, e.id, 0)
        tail_after = size - 50
        name = f"tail of a {size:,}-line log"
        count(name, lambda e=e, a=tail_after: c.executions.logs(admin, e.id, a, 500))
        started = time.perf_counter()
        for _ in range(20):
            c.executions.logs(admin, e.id, tail_after, 500)
        timings[name] = (time.perf_counter() - started) / 20 * 1000
    return results, timings


def table(results: dict[str, dict[str, int]], timings: dict[str, float]) -> str:
    lines = ["| operation | DynamoDB requests | of which |", "|---|---|---|"]
    for name, calls in results.items():
        total = sum(calls.values())
        detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items())) or "none"
        lines.append(f"| {name} | {total} | {detail} |")
    lines.append("")
    lines.append("| tail read | ms per read (moto in-process, mean of 20) |")
    lines.append("|---|---|")
    for name, ms in timings.items():
        lines.append(f"| {name} | {ms:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    r, t = measure()
    print(table(r, t))
