"""The authorizer's DynamoDB requests per authorized request, and the share that writes
`last_used_at`/`last_used_ips` (at most once a minute per token).

`python -m tests.bench.last_use [--requests 1000] [--seconds 300] [--tokens 3]`: moto in
process, a fake clock; the requests are spread evenly over the simulated seconds, round-robin
over the tokens and over five source IPs, each through `aws.authorizer.authorize` as API Gateway
calls it. Requests are counted at botocore's API-call boundary (tests/bench/requests.py).
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.bench import requests as counting
from tests.bench.common import ROUTE_EVENT

WRITES = {"UpdateItem", "PutItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class _Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


def measure(requests: int, seconds: float, tokens: int) -> dict[str, Any]:
    with counting.counting_moto():
        return _measure(requests, seconds, tokens)


def _measure(requests: int, seconds: float, tokens: int) -> dict[str, Any]:
    from sculptops.aws.authorizer import authorize
    from sculptops.bootstrap import build
    from sculptops.domain.identity import CredentialKind, Principal
    from sculptops.local import seed
    from sculptops.local.tables import create_tables
    from sculptops.services.tokens import NewToken
    from sculptops.settings import Settings

    clock = _Clock()
    settings = Settings(token_pepper=b"bench-pepper-0123456789", dynamodb_max_retries=0)
    create_tables(settings)
    c = build(settings, clock=clock)
    seed.seed_identity(c.identity_store)
    user = c.identity_store.get_user("admin@demo")
    admin = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), "demo")
    values = [c.tokens.create(admin, NewToken(name=f"bench{i}")).value for i in range(tokens)]
    step = timedelta(seconds=seconds / requests)
    calls: Counter[str] = Counter()
    writing = 0
    for i in range(requests):
        context = {**ROUTE_EVENT["requestContext"], "identity": {"sourceIp": f"192.0.2.{i % 5}"}}
        event = {
            **ROUTE_EVENT,
            "headers": {"Authorization": f"Bearer {values[i % tokens]}"},
            "requestContext": context,
        }
        with counting.counted() as seen:
            answer = authorize(c.authenticator, event)
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        calls.update(seen)
        writing += any(op in WRITES for op in seen)
        clock.current += step
    minutes = int(seconds // 60) + 1
    return {
        "requests": requests,
        "seconds": seconds,
        "tokens": tokens,
        "writing": writing,
        "write_share": writing / requests,
        "bound": tokens * minutes,  # at most one write per token per started minute
        "reads_per_request": sum(n for op, n in calls.items() if op not in WRITES) / requests,
        "calls": dict(calls),
    }


def report(result: dict[str, Any]) -> str:
    calls = ", ".join(f"{op} {n}" for op, n in sorted(result["calls"].items()))
    return (
        f"{result['requests']} authorized requests over {result['seconds']:.0f} simulated s, "
        f"{result['tokens']} tokens, 5 source IPs\n"
        f"requests that wrote last use: {result['writing']} "
        f"({result['write_share']:.2%}; bound: one per token per started minute = "
        f"{result['bound']})\n"
        f"DynamoDB reads per request: {result['reads_per_request']:.2f}\n"
        f"all DynamoDB requests: {calls}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--tokens", type=int, default=3)
    args = parser.parse_args(argv)
    result = measure(args.requests, args.seconds, args.tokens)
    print(report(result))
    return 0 if result["writing"] <= result["bound"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
