"""`make deploy-local`: a rehearsal deploy of serverless.yml into a moto server on 127.0.0.1.

    python -m sculptops.local.rehearsal [--keep]

Builds the deps layer if needed, starts moto's server on a free loopback port, runs
`osls deploy --stage local` (the serverless-localstack plugin sends every AWS call there), then
says what exists: tables with keys and indexes, functions, roles, the REST API. Moto cannot run
the functions (that needs Docker) and skips some resource types silently; see the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import boto3

from sculptops.local.dynamodb import MotoBackend
from sculptops.local.project import repo_root

REGION = "us-east-1"


@dataclass
class Rehearsal:
    endpoint: str
    seconds: float
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    functions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    apis: list[str] = field(default_factory=list)
    template: dict[str, Any] = field(default_factory=dict)


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def deploy(backend: MotoBackend) -> Rehearsal:
    root = repo_root()
    if not (root / "layers" / "deps" / "build" / "python").is_dir():
        subprocess.run([sys.executable, str(root / "layers" / "deps" / "build.py")], check=True)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "SCULPTOPS_MOTO_PORT": str(backend.port),
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
    }
    env.pop("AWS_SESSION_TOKEN", None)
    osls = root / "node_modules" / ".bin" / "osls"
    started = time.monotonic()
    out = subprocess.run(
        [str(osls), "deploy", "--stage", "local", "--region", REGION],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"osls deploy failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    result = Rehearsal(endpoint=backend.endpoint, seconds=time.monotonic() - started)
    ddb = _client("dynamodb", backend.endpoint)
    for name in ddb.list_tables()["TableNames"]:
        table = ddb.describe_table(TableName=name)["Table"]
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        result.tables[name] = {
            "keys": {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]},
            "indexes": sorted(g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])),
            "ttl": ttl.get("TimeToLiveStatus"),
        }
    result.functions = sorted(
        f["FunctionName"] for f in _client("lambda", backend.endpoint).list_functions()["Functions"]
    )
    result.roles = sorted(
        r["RoleName"] for r in _client("iam", backend.endpoint).list_roles()["Roles"]
    )
    result.apis = [
        a["name"] for a in _client("apigateway", backend.endpoint).get_rest_apis()["items"]
    ]
    body = _client("cloudformation", backend.endpoint).get_template(StackName="sculptops-local")
    template = body["TemplateBody"]
    result.template = template if isinstance(template, dict) else json.loads(template)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the moto server running")
    args = parser.parse_args()
    backend = MotoBackend()
    try:
        r = deploy(backend)
        print(f"Deployed stack sculptops-local to moto at {r.endpoint} in {r.seconds:.0f}s.")
        print("Tables:")
        for name, info in r.tables.items():
            print(f"  {name}: keys {info['keys']}, indexes {info['indexes']}, TTL {info['ttl']}")
        print(f"Functions: {', '.join(r.functions)}")
        print(f"Roles: {len(r.roles)} (one per function)")
        print(f"REST APIs: {', '.join(r.apis)}")
        print(
            "Skipped by moto (silently): the authorizer, gateway responses, WAF resources, the "
            "bucket policy and the tables' TTL setting; functions cannot be invoked (no Docker)."
        )
        if args.keep:
            print("Moto keeps running; Ctrl-C stops it.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        backend.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
