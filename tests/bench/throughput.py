"""Local stack throughput for GET /api/v1/me with a token at concurrency 1, 8 and 32, and where
the time of one request goes (gateway, authorizer, handler, DynamoDB calls)."""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import botocore.client

from tests.bench.load import HEADER, Result, scenario_me


def measure(seconds: float) -> list[Result]:
    from tests.stack import start_stack, stop_stack

    stack = start_stack(Path(tempfile.mkdtemp()), agents=False)
    try:
        return [scenario_me(stack.url, stack.token, n, seconds) for n in (1, 8, 32)]
    finally:
        stop_stack(stack)


def profile_one_request(repeat: int = 30) -> dict[str, float]:
    """In-process gateway (Starlette TestClient) over a moto server in its own process."""
    from starlette.testclient import TestClient

    import sculptops.local.apigateway as apigw
    import sculptops.local.gateway as gw
    from sculptops.bootstrap import container
    from sculptops.domain.identity import CredentialKind, Principal
    from sculptops.services.tokens import NewToken
    from tests.bench.common import seeded_moto

    backend, _ = seeded_moto()
    spent: dict[str, float] = defaultdict(float)
    original_call = botocore.client.BaseClient._make_api_call
    original_invoke = apigw.invoke

    def timed_call(self: Any, op: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return original_call(self, op, params)
        finally:
            spent["DynamoDB calls"] += time.perf_counter() - started

    def timed_invoke(handler: Any, event: dict[str, Any], context: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_invoke(handler, event, context)
        finally:
            key = "authorizer" if event.get("type") == "REQUEST" else "handler"
            spent[key] += time.perf_counter() - started

    try:
        c = container()
        user = c.identity_store.get_user("admin@demo")
        caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), None)
        token = c.tokens.create(caller, NewToken(name="profile")).value
        botocore.client.BaseClient._make_api_call = timed_call  # type: ignore[method-assign]
        apigw.invoke = timed_invoke  # type: ignore[assignment]
        with TestClient(gw.build_gateway(None).asgi(), base_url="http://127.0.0.1") as client:
            headers = {"Authorization": f"Bearer {token}"}
            client.get("/api/v1/me", headers=headers)  # warm up: imports, clients
            spent.clear()
            started = time.perf_counter()
            for _ in range(repeat):
                assert client.get("/api/v1/me", headers=headers).status_code == 200
            total = time.perf_counter() - started
    finally:
        botocore.client.BaseClient._make_api_call = original_call  # type: ignore[method-assign]
        apigw.invoke = original_invoke  # type: ignore[assignment]
        backend.stop()
    per = {k: v / repeat * 1000 for k, v in spent.items()}
    per["total"] = total / repeat * 1000
    per["gateway and client (rest)"] = per["total"] - per["authorizer"] - per["handler"]
    return per


def table(results: list[Result], profile: dict[str, float]) -> str:
    lines = [
        HEADER,
        *(r.row() for r in results),
        "",
        "| one GET /api/v1/me, in-process gateway | ms |",
        "|---|---|",
    ]
    for key in ("total", "gateway and client (rest)", "authorizer", "handler", "DynamoDB calls"):
        lines.append(f"| {key} | {profile.get(key, 0.0):.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure(8), profile_one_request()))
