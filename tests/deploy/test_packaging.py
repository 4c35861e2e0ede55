"""The packaged template and artifacts, checked offline: what would really run on Lambda."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from tests.deploy.conftest import REPORT
from tests.iam import grants

PUBLIC = {
    "/health",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/assets/{name}",
    "/api/v1/credentials/revoke",
    # The console (http/console.py): its page, its bundle's files, its sign-in settings.
    "/",
    "/assets/{name}",
    "/console/config.json",
}
# The console's production bundle, JavaScript and CSS together, uncompressed: a few hundred kB.
CONSOLE_BUDGET_BYTES = 400_000
FUNCTIONS = [
    "authorizer",
    "identity",
    "tokens",
    "catalog",
    "executions",
    "agents",
    "governance",
    "credentials",
    "leaks",
    "notices",
    "sweeper",
]


def _resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _path_of(template: dict[str, Any], resource_ref: Any) -> str:
    """Rebuild a method's path from the chain of AWS::ApiGateway::Resource parents."""
    parts: list[str] = []
    ref = resource_ref
    while isinstance(ref, dict) and "Ref" in ref:
        res = template["Resources"][ref["Ref"]]["Properties"]
        parts.append(res["PathPart"])
        ref = res["ParentId"]
    return "/" + "/".join(reversed(parts))


def test_cfn_lint_is_clean(packaged: Path) -> None:
    # W3005 is osls' own redundant DependsOn on generated resources, not ours.
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--ignore-checks",
            "W3005",
            "--",
            str(packaged / "cloudformation-template-update-stack.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_non_public_route_has_the_authorizer(template: dict[str, Any]) -> None:
    methods = _resources(template, "AWS::ApiGateway::Method")
    seen_public = set()
    assert len(methods) > 40
    for name, method in methods.items():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        path = _path_of(template, props["ResourceId"])
        assert not path.startswith("/dev"), "the dev identity provider is never deployed"
        if path in PUBLIC:
            seen_public.add(path)
            assert props["AuthorizationType"] == "NONE", name
        else:
            assert props["AuthorizationType"] == "CUSTOM", f"{name} {path}"
            assert props["AuthorizerId"] == {"Ref": "AuthorizerApiGatewayAuthorizer"}, name
    assert seen_public == PUBLIC


def test_the_authorizer_has_no_cache_and_no_identity_source(template: dict[str, Any]) -> None:
    props = template["Resources"]["AuthorizerApiGatewayAuthorizer"]["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["AuthorizerResultTtlInSeconds"] == 0
    assert "IdentitySource" not in props


def test_gateway_responses(template: dict[str, Any]) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in _resources(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == "401"
    assert unauthorized["ResponseTemplates"]["application/json"] == '{"message":"Unauthorized"}'
    assert (
        unauthorized["ResponseParameters"]["gatewayresponse.header.WWW-Authenticate"] == "'Bearer'"
    )
    assert responses["ACCESS_DENIED"]["StatusCode"] == "403"
    assert responses["AUTHORIZER_FAILURE"]["StatusCode"] == "503"


def test_each_function_has_its_own_least_privilege_role(template: dict[str, Any]) -> None:
    functions = _resources(template, "AWS::Lambda::Function")
    roles = set()
    for name, fn in functions.items():
        role = fn["Properties"]["Role"]
        assert "Fn::GetAtt" in role, name
        roles.add(role["Fn::GetAtt"][0])
        assert fn["Properties"]["Runtime"] == "python3.12"
        assert fn["Properties"]["Architectures"] == ["arm64"]
    assert len(roles) == len(functions) == len(FUNCTIONS)
    for role_name in roles:
        role = template["Resources"][role_name]
        for policy in role["Properties"]["Policies"]:
            for st in policy["PolicyDocument"]["Statement"]:
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                for action in actions:
                    assert "*" not in action, f"{role_name}: {action}"
                assert "*" not in resources, f"{role_name}: Resource *"
    assert "IamRoleLambdaExecution" not in template["Resources"]


def test_tables_are_retained_recoverable_on_demand_with_ttl(template: dict[str, Any]) -> None:
    tables = _resources(template, "AWS::DynamoDB::Table")
    assert len(tables) == 5
    for name, table in tables.items():
        assert table["DeletionPolicy"] == "Retain", name
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
    assert tables["TokensTable"]["Properties"]["TimeToLiveSpecification"]["Enabled"]
    assert tables["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"]["Enabled"]
    # Audit events, notifications and tenant token index entries expire by TTL.
    assert tables["IdentityTable"]["Properties"]["TimeToLiveSpecification"]["Enabled"]


def test_logs_retained_waf_throttling_alarms_schedule(template: dict[str, Any]) -> None:
    groups = _resources(template, "AWS::Logs::LogGroup")
    assert len(groups) == len(FUNCTIONS)
    assert all(g["Properties"]["RetentionInDays"] == 90 for g in groups.values())  # prod
    acl = template["Resources"]["WebAcl"]["Properties"]
    rule = acl["Rules"][0]["Statement"]["RateBasedStatement"]
    assert rule["AggregateKeyType"] == "IP" and rule["Limit"] == 1000
    # The public revocation route: a per-IP limit of its own, per minute, scoped to its path.
    revoke = acl["Rules"][1]["Statement"]["RateBasedStatement"]
    assert revoke["AggregateKeyType"] == "IP" and revoke["Limit"] == 10
    assert revoke["EvaluationWindowSec"] == 60
    match = revoke["ScopeDownStatement"]["ByteMatchStatement"]
    assert (
        match["SearchString"] == "/api/v1/credentials/revoke" and "UriPath" in match["FieldToMatch"]
    )
    assert acl["Rules"][1]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    assert template["Resources"]["WebAclAssociation"]["DependsOn"]
    deployment = next(iter(_resources(template, "AWS::ApiGateway::Deployment").values()))
    stage = deployment["Properties"]["StageDescription"]
    assert stage["ThrottlingRateLimit"] == 100 and stage["ThrottlingBurstLimit"] == 200
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    assert {a["Properties"]["MetricName"] for a in alarms.values()} >= {"Errors", "Throttles"}
    rules = _resources(template, "AWS::Events::Rule")
    schedules = sorted(r["Properties"]["ScheduleExpression"] for r in rules.values())
    assert schedules == ["rate(1 day)", "rate(1 minute)"]  # the notices job, the sweeper


def test_no_secret_is_written_into_the_template(template: dict[str, Any]) -> None:
    env = template["Resources"]["AuthorizerLambdaFunction"]["Properties"]["Environment"]
    pepper = env["Variables"]["SCULPTOPS_TOKEN_PEPPER"]
    assert pepper.startswith("{{resolve:secretsmanager:")


_WHEEL_OK = re.compile(
    r"^Tag: (py3-none-any|py2\.py3-none-any|cp312-cp312-manylinux[\w.]*_aarch64"
    r"|cp3(7|8|9|10|11|12)-abi3-manylinux[\w.]*_aarch64)$"
)
EM_AARCH64 = 183  # ELF e_machine of arm64 (EM_X86_64 is 62)


def _elf_machine(data: bytes) -> int:
    """e_machine of an ELF shared object: 2 bytes at offset 18, in the header's byte order."""
    assert data[:4] == b"\x7fELF", "not an ELF file"
    order = "little" if data[5] == 1 else "big"
    return int.from_bytes(data[18:20], order)


def test_elf_machine_reads_the_header() -> None:
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    header[18:20] = (62).to_bytes(2, "little")
    assert _elf_machine(bytes(header)) == 62
    header[18:20] = EM_AARCH64.to_bytes(2, "little")
    assert _elf_machine(bytes(header)) == EM_AARCH64


def test_native_modules_are_built_for_cpython_312_on_arm64(packaged: Path) -> None:
    with zipfile.ZipFile(packaged / "deps.zip") as z:
        names = z.namelist()
        natives = [n for n in names if n.endswith(".so") or ".so." in n]
        assert natives, "expected native modules (pydantic_core, cryptography, yaml)"
        for so in natives:
            # CPython 3.12's own ABI on aarch64, or the stable ABI (of an aarch64 wheel: below)
            assert re.search(r"(cpython-312-aarch64-linux-gnu|abi3)\.so$", so), so
            assert "x86_64" not in so and "darwin" not in so
            assert _elf_machine(z.read(so)[:64]) == EM_AARCH64, f"{so} is not aarch64"
        wheels = [n for n in names if n.endswith(".dist-info/WHEEL")]
        for wheel in wheels:
            tags = [ln for ln in z.read(wheel).decode().splitlines() if ln.startswith("Tag:")]
            assert tags and all(_WHEEL_OK.match(t) for t in tags), f"{wheel}: {tags}"
        assert not [n for n in names if n.startswith("python/botocore/")]
        unzipped = sum(i.file_size for i in z.infolist())
    REPORT["deps layer"] = (
        f"{(packaged / 'deps.zip').stat().st_size / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped"
    )


def test_function_artifacts_hold_only_their_handler(packaged: Path) -> None:
    for fn in FUNCTIONS:
        with zipfile.ZipFile(packaged / f"{fn}.zip") as z:
            assert z.namelist() == [f"functions/{fn}/handler.py"], fn
        REPORT[f"{fn} function"] = f"{(packaged / f'{fn}.zip').stat().st_size} bytes"
    with zipfile.ZipFile(packaged / "core.zip") as z:
        names = z.namelist()
        assert "python/sculptops/aws/authorizer.py" in names
        assert not [n for n in names if "/local/" in n or "/cli/" in n or "__pycache__" in n]
        # Swagger UI 5 (copied from node_modules by `make swagger`) and the page that loads it.
        static = "python/sculptops/http/static/"
        for asset in (
            "docs.html",
            "swagger-init.js",
            "swagger/swagger-ui-bundle.js",
            "swagger/swagger-ui.css",
            "swagger/favicon-32x32.png",
        ):
            assert static + asset in names, f"{asset} is not in the core layer: run `make swagger`"
        bundle = z.read(static + "swagger/swagger-ui-bundle.js")
        assert len(bundle) > 500_000, "swagger-ui-bundle.js looks truncated"
        # The console's build (`make console`): its page and hashed assets, text only, no maps.
        console = static + "console/"
        assert console + "index.html" in names, (
            "the console is not in the core layer: `make console`"
        )
        assets = [n for n in names if n.startswith(console + "assets/")]
        assert [n for n in assets if n.endswith(".js")], "the console has no JavaScript"
        assert not [n for n in names if n.startswith(console) and n.endswith(".map")]
        for name in assets:
            z.read(name).decode("utf-8")  # text: served as such through API Gateway
        code = sum(z.getinfo(n).file_size for n in assets if n.endswith((".js", ".css")))
        assert code <= CONSOLE_BUDGET_BYTES, f"the console's JS+CSS is {code} bytes"
        REPORT["console bundle"] = f"{code / 1e3:.0f} kB JS+CSS uncompressed ({len(assets)} files)"
        unzipped = sum(i.file_size for i in z.infolist())
    REPORT["core layer"] = (
        f"{(packaged / 'core.zip').stat().st_size / 1e3:.0f} kB zipped, {unzipped / 1e3:.0f} kB unzipped"
    )


def test_governance_role_has_exactly_what_governance_uses(template: dict[str, Any]) -> None:
    # Given the governance function's role, then: its tables and index, these actions, no more.
    governance = grants(template, "GovernanceRole")
    assert governance == {
        "IdentityTable": {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "dynamodb:BatchWriteItem",
        },
        "TokensTable": {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        },
        "TokensTable/index/by_owner": {"dynamodb:Query"},
    }
    # The authorizer reads by key (plus last use, the ticket's by_owner); it writes the
    # identity table only in reuse detection's transaction (audit events, notice, index
    # entries), and never queries it.
    authorizer = grants(template, "AuthorizerRole")
    assert authorizer["IdentityTable"] == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    }
    assert authorizer["TokensTable"] == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    # The tokens function writes audit events and tenant index entries, never reads a list.
    assert "dynamodb:Query" not in grants(template, "TokensRole")["IdentityTable"]


def test_notices_and_credentials_roles_have_exactly_what_they_use(template: dict[str, Any]) -> None:
    # The daily job: a Query per expiry day on its index, conditional puts of notices.
    assert grants(template, "NoticesRole") == {
        "TokensTable/index/by_expiry": {"dynamodb:Query"},
        "IdentityTable": {"dynamodb:PutItem"},
    }
    # The public route reads no table: it may only invoke the leaks worker (asynchronously).
    assert grants(template, "CredentialsRole") == {}
    statements = [
        st
        for policy in template["Resources"]["CredentialsRole"]["Properties"]["Policies"]
        for st in policy["PolicyDocument"]["Statement"]
    ]
    assert [st["Action"] for st in statements] == [
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        ["lambda:InvokeFunction"],
    ]
    # Through the worker's SnapStart alias only ($LATEST is never restored from a snapshot).
    (invoke,) = statements[1]["Resource"]
    assert str(invoke["Fn::Sub"]).endswith(":function:sculptops-prod-leaks:snapstart")
    credentials = template["Resources"]["CredentialsLambdaFunction"]["Properties"]
    assert credentials["Environment"]["Variables"]["SCULPTOPS_LEAK_WORKER_FUNCTION"] == (
        "sculptops-prod-leaks:snapstart"
    )
    # The worker: every digest by key (BatchGetItem), the revocation's transaction and the
    # minted tokens' deletes; never a scan, never a write to anything but these.
    assert grants(template, "LeaksRole") == {
        "TokensTable": {
            "dynamodb:BatchGetItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        },
        "TokensTable/index/by_owner": {"dynamodb:Query"},
        "IdentityTable": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
    }
    for role in ("NoticesRole", "LeaksRole"):
        statements = [
            st
            for policy in template["Resources"][role]["Properties"]["Policies"]
            for st in policy["PolicyDocument"]["Statement"]
        ]
        (events,) = [st for st in statements if "events:PutEvents" in st["Action"]]
        assert events["Action"] == ["events:PutEvents"]
        assert "event-bus/default" in str(events["Resource"]), events["Resource"]
    # The expiry index is sparse and projects no more than the job reads.
    tokens = template["Resources"]["TokensTable"]["Properties"]
    (index,) = [i for i in tokens["GlobalSecondaryIndexes"] if i["IndexName"] == "by_expiry"]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"


def test_every_function_is_published_with_snapstart_on_arm64(template: dict[str, Any]) -> None:
    functions = _resources(template, "AWS::Lambda::Function")
    aliases = _resources(template, "AWS::Lambda::Alias")
    versions = _resources(template, "AWS::Lambda::Version")
    assert len(functions) == len(FUNCTIONS)
    for name, fn in functions.items():
        props = fn["Properties"]
        assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
        assert props["Architectures"] == ["arm64"], name
        # A published version of it, and the alias `snapstart` on that version.
        (version,) = [
            v for v in versions.values() if v["Properties"]["FunctionName"] == {"Ref": name}
        ]
        # The version a deploy replaces is deleted, not retained with its snapshot cached.
        assert "DeletionPolicy" not in version, name
        (alias,) = [a for a in aliases.values() if a["Properties"]["FunctionName"] == {"Ref": name}]
        assert alias["Properties"]["Name"] == "snapstart"
        version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        assert template["Resources"][version_id]["Type"] == "AWS::Lambda::Version", name
    for layer in _resources(template, "AWS::Lambda::LayerVersion").values():
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_the_api_the_authorizer_and_the_schedules_invoke_the_snapstart_alias(
    template: dict[str, Any],
) -> None:
    # Never $LATEST (which SnapStart does not serve): the integrations' URIs end in
    # `:snapstart/invocations`, as do the authorizer's, and the permissions name the alias.
    for name, method in _resources(template, "AWS::ApiGateway::Method").items():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        parts = props["Integration"]["Uri"]["Fn::Join"][1]
        assert parts[-3:] == [":", "snapstart", "/invocations"], f"{name}: {parts}"
    authorizer = template["Resources"]["AuthorizerApiGatewayAuthorizer"]
    uri = authorizer["Properties"]["AuthorizerUri"]["Fn::Join"][1]
    assert uri[-2] == {
        "Fn::Join": [":", [{"Fn::GetAtt": ["AuthorizerLambdaFunction", "Arn"]}, "snapstart"]]
    }
    assert authorizer["DependsOn"] == "AuthorizerSnapStartLambdaAlias"
    for name, permission in _resources(template, "AWS::Lambda::Permission").items():
        target = permission["Properties"]["FunctionName"]
        if "Ref" in target:
            assert target["Ref"].endswith("SnapStartLambdaAlias"), name
        else:
            assert target["Fn::Join"][1][1] == "snapstart", name
    for name, rule in _resources(template, "AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            assert target["Arn"]["Fn::Join"][1][1] == "snapstart", name
