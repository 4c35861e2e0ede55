"""Cold start per function: import time and first invocation, fresh processes, median of 7.

Each sample is a new Python process that imports one handler module (as Lambda's init does)
and then invokes it once against a seeded moto server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.bench.common import median, seeded_moto

ROOT = Path(__file__).parents[2]
RUNS = 7
FUNCTIONS = ["authorizer", "identity", "tokens", "catalog", "executions", "agents", "sweeper"]

CHILD = r"""
import importlib.util, json, sys, time
t0 = time.perf_counter()
name, path, token = sys.argv[1], sys.argv[2], sys.argv[3]
if name == "monolith":
    from mangum import Mangum
    from sculptops.http.app import create_app
    from sculptops.http.openapi import all_routers
    from sculptops.http import docs
    handler = Mangum(create_app([*docs.routers, *all_routers()]), lifespan="off")
else:
    spec = importlib.util.spec_from_file_location("fn_" + name, path)
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    handler = module.handler
t1 = time.perf_counter()
modules = len(sys.modules)
class Ctx: function_name = name; aws_request_id = "x"; get_remaining_time_in_millis = lambda s: 5000
if name == "authorizer":
    from tests.bench.common import ROUTE_EVENT
    event = dict(ROUTE_EVENT, headers={"Authorization": "Bearer " + token})
    result = handler(event, Ctx())
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
elif name == "sweeper":
    handler({}, Ctx())
else:
    event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {},
             "multiValueHeaders": {}, "queryStringParameters": None,
             "multiValueQueryStringParameters": None, "pathParameters": None,
             "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "stage": "b",
                                "identity": {"sourceIp": "127.0.0.1"}, "path": "/b/health"},
             "body": None, "isBase64Encoded": False}
    result = handler(event, Ctx())
t2 = time.perf_counter()
web = [m for m in ("fastapi", "starlette", "pydantic") if m in sys.modules]
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000,
                  "modules": modules, "web": web}))
"""


def measure() -> dict[str, dict[str, float | list[str]]]:
    backend, env = seeded_moto()
    try:
        from sculptops.bootstrap import container
        from sculptops.domain.identity import CredentialKind, Principal
        from sculptops.services.tokens import NewToken

        c = container()
        user = c.identity_store.get_user("admin@demo")
        caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), None)
        token = c.tokens.create(caller, NewToken(name="bench")).value
        child_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        results: dict[str, dict[str, float | list[str]]] = {}
        for name in [*FUNCTIONS, "monolith"]:
            path = ROOT / "functions" / name / "handler.py"
            samples = []
            for _ in range(RUNS):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-X",
                        "frozen_modules=on",
                        "-c",
                        CHILD,
                        name,
                        str(path),
                        token,
                    ],
                    env=child_env,
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
            results[name] = {
                "import_ms": median([s["import_ms"] for s in samples]),
                "first_ms": median([s["first_ms"] for s in samples]),
                "modules": median([s["modules"] for s in samples]),
                "web": samples[0]["web"],
            }
        return results
    finally:
        backend.stop()


def table(results: dict[str, dict[str, float | list[str]]]) -> str:
    lines = [
        "| function | import / init (ms) | first invocation (ms) | cold total (ms) "
        "| modules loaded | web stack |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        web = ", ".join(r["web"]) or "none"  # type: ignore[arg-type]
        total = float(r["import_ms"]) + float(r["first_ms"])  # type: ignore[arg-type]
        lines.append(
            f"| {name} | {r['import_ms']:.0f} | {r['first_ms']:.0f} | {total:.0f} "
            f"| {r['modules']:.0f} | {web} |"
        )
    ratio = float(results["authorizer"]["import_ms"]) / float(results["tokens"]["import_ms"])
    lines.append("")
    lines.append(
        f"Authorizer cold import / tokens cold import = **{ratio:.2f}** (target ≤ 0.5). The "
        "authorizer's init includes creating its DynamoDB client (botocore loads the service "
        "model); the other functions create theirs on their first DynamoDB call, which the "
        "first invocation here (`GET /health`) does not make."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure()))
