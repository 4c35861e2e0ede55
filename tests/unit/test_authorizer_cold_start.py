"""The authorizer's cold start loads only what a token check needs (issue 16).

Each check imports the handler in a fresh Python process, as Lambda's init does, and looks at
`sys.modules`: no web stack, no pynamodb, no route function's adapters, and the JWT stack only
once a JWT has been seen. No socket is opened (creating a botocore client connects nowhere; the
JWT below is refused on its header, before any JWKS fetch).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

NEVER_AT_INIT = [
    "jwt",
    "cryptography",
    "pynamodb",
    "fastapi",
    "starlette",
    "pydantic",
    "mangum",
    "boto3",
    "sculptops.bootstrap",
    "sculptops.adapters.dynamodb.models",
    "sculptops.adapters.dynamodb.executions",
    "sculptops.adapters.dynamodb.catalog",
    "sculptops.adapters.dynamodb.logs",
    "sculptops.adapters.dynamodb.agents",
    "sculptops.services.executions",
    "sculptops.services.catalog",
]

CHILD = r"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("authorizer_handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
watched = json.loads(sys.argv[2])
at_init = sorted(m for m in watched if m in sys.modules)
client_made = getattr(getattr(module._authenticator._lookup, "_reads", None), "_client", None) is not None
import gc
gc_after_init = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}
event = {"resource": "/api/v1/{tenant_id}/me", "path": "/api/v1/demo/me",
         "pathParameters": {"tenant_id": "demo"}, "methodArn": "arn",
         "headers": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30.c2ln"}}
try:
    module.handler(event, None)
    outcome = "allowed"
except Exception as exc:
    outcome = str(exc)
print(json.dumps({"at_init": at_init, "client_made": client_made, "outcome": outcome,
                  "gc": gc_after_init,
                  "after_jwt": sorted(m for m in watched if m in sys.modules)}))
"""


def _run() -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "layers" / "core" / "python"),
        "SCULPTOPS_STAGE": "coldstart",
        "SCULPTOPS_TOKEN_PEPPER": "coldstart-pepper-0123456789",
        "SCULPTOPS_DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
        "SCULPTOPS_OIDC_ISSUER": "http://127.0.0.1:9/dev/oidc",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    handler = ROOT / "functions" / "authorizer" / "handler.py"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(handler), json.dumps(NEVER_AT_INIT)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_init_loads_only_the_token_check_and_jwt_on_the_first_jwt() -> None:
    result = _run()
    assert result["at_init"] == [], "loaded at init: " + ", ".join(result["at_init"])  # type: ignore[arg-type]
    assert result["client_made"] is True  # the DynamoDB client is made in init, not on a request
    # No collection during init; collections run again after it, without walking what init made.
    gc = result["gc"]
    assert gc["enabled"] is True and gc["frozen"] > 10_000, gc  # type: ignore[index]
    assert result["outcome"] == "Unauthorized"  # alg none: refused on its header
    after = set(result["after_jwt"])  # type: ignore[arg-type]
    assert {"jwt", "cryptography"} <= after  # the JWT stack, loaded for the first JWT
    assert not after & {"pynamodb", "fastapi", "starlette", "pydantic", "boto3"}
