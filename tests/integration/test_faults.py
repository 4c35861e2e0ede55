"""Faults: DynamoDB errors and a slow or unreachable identity provider never become an allow,
a 500, or a half-written state."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from starlette.testclient import TestClient

from sculptops.bootstrap import container
from sculptops.local import seed
from sculptops.local.devidp import DevIdentityProvider
from sculptops.local.gateway import build_gateway
from sculptops.local.tables import create_tables
from tests.integration.test_gateway_flow import bearer, token_for, tokens_table_fault


def _error(code: str, status: int = 400):
    def handler(**_: object) -> tuple[AWSResponse, dict]:
        parsed = {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("http://dynamodb", status, {}, None), parsed

    return handler


@pytest.fixture
def gw_with_idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, str]]:
    """The gateway with JWT sign-in against an identity provider that we can make misbehave."""
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/dev/oidc"
    with mock_aws():
        monkeypatch.setenv("SCULPTOPS_STAGE", "faults")
        monkeypatch.setenv("SCULPTOPS_TOKEN_PEPPER", "faults-pepper-0123456789")
        monkeypatch.setenv("SCULPTOPS_DYNAMODB_MAX_RETRIES", "0")
        monkeypatch.setenv("SCULPTOPS_OIDC_ISSUER", issuer)
        container.cache_clear()
        c = container()
        create_tables(c.settings)
        seed.seed_identity(c.identity_store)
        seed.seed_catalog(c.catalog_store)
        with TestClient(build_gateway(None).asgi(), base_url="http://127.0.0.1") as client:
            yield client, issuer
        container.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(issuer: str, idp: DevIdentityProvider, delay: float) -> ThreadingHTTPServer:
    port = int(issuer.split(":")[2].split("/", maxsplit=1)[0])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay)
            import json

            doc = idp.configuration() if "openid-configuration" in self.path else idp.jwks()
            body = json.dumps(doc).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the verifier gave up waiting, as it should

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_an_unreachable_identity_provider_is_503_not_an_allow(gw_with_idp) -> None:
    client, issuer = gw_with_idp
    jwt = DevIdentityProvider(issuer, {"admin@demo"}).issue("admin@demo")["access_token"]
    r = client.get("/api/v1/me", headers=bearer(jwt))
    assert r.status_code == 503 and r.headers["retry-after"] == "1"


def test_a_slow_identity_provider_times_out_into_503(gw_with_idp) -> None:
    client, issuer = gw_with_idp
    idp = DevIdentityProvider(issuer, {"admin@demo"})
    server = _serve(issuer, idp, delay=4.0)  # the verifier waits 3 s at most
    try:
        started = time.monotonic()
        r = client.get("/api/v1/me", headers=bearer(idp.issue("admin@demo")["access_token"]))
        assert r.status_code == 503
        assert time.monotonic() - started < 10
    finally:
        server.shutdown()
        server.server_close()


def test_a_healthy_identity_provider_signs_in(gw_with_idp) -> None:
    client, issuer = gw_with_idp
    idp = DevIdentityProvider(issuer, {"admin@demo"})
    server = _serve(issuer, idp, delay=0)
    try:
        r = client.get("/api/v1/me", headers=bearer(idp.issue("admin@demo")["access_token"]))
        assert r.status_code == 200 and r.json()["credential"]["kind"] == "jwt"
    finally:
        server.shutdown()
        server.server_close()


def _client_of(model: object):
    return model._get_connection().connection.client  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("operation", "code", "status", "path"),
    [
        # A tenant's route: the token and the tenant in one BatchGetItem.
        ("BatchGetItem", "ThrottlingException", 400, "/api/v1/demo/me"),
        ("BatchGetItem", "InternalServerError", 500, "/api/v1/demo/me"),
        # No tenant in the path: the token and its owner in one BatchGetItem too.
        ("BatchGetItem", "ThrottlingException", 400, "/api/v1/me"),
        ("BatchGetItem", "InternalServerError", 500, "/api/v1/me"),
        ("Query", "ProvisionedThroughputExceededException", 400, "/api/v1/demo/me"),
    ],
)
def test_read_faults_in_the_authorizer_deny_with_503(
    gw_with_idp, operation, code, status, path
) -> None:
    client, _ = gw_with_idp
    admin = token_for("admin@demo")
    with tokens_table_fault(operation, code, status):
        r = client.get(path, headers=bearer(admin))
    if operation == "Query":
        assert r.status_code == 200  # the authorizer never queries
    else:
        assert r.status_code == 503


def test_a_500_on_the_execution_write_is_503_and_nothing_is_written(gw_with_idp) -> None:
    client, _ = gw_with_idp
    admin = token_for("admin@demo")
    c = container()
    events = _client_of(c.execution_store._m).meta.events
    hook = _error("InternalServerError", 500)
    events.register("before-call.dynamodb.PutItem", hook)
    try:
        r = client.post(
            "/api/v1/demo/executions",
            json={"playbook_id": seed.PING_ID, "inventory_id": seed.LOCAL_ID},
            headers=bearer(admin),
        )
    finally:
        events.unregister("before-call.dynamodb.PutItem", hook)
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    listed = client.get("/api/v1/demo/executions", headers=bearer(admin)).json()
    assert listed["executions"] == []


def test_a_cancelled_transaction_on_a_log_batch_is_a_clear_409(gw_with_idp) -> None:
    client, _ = gw_with_idp
    admin = token_for("admin@demo")
    c = container()
    demo_admin = c.identity_store.get_user("admin@demo")
    from sculptops.domain.identity import CredentialKind, Principal

    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, "admin@demo", demo_admin), "demo")
    agent_token = c.agents.register(caller, "a").token
    run = client.post(
        "/api/v1/demo/executions",
        json={"playbook_id": seed.PING_ID, "inventory_id": seed.LOCAL_ID},
        headers=bearer(admin),
    ).json()
    assert client.post("/api/v1/demo/agents/claim", headers=bearer(agent_token)).status_code == 200
    # A batch that skips ahead: the transaction is cancelled by its condition.
    r = client.post(
        f"/api/v1/demo/executions/{run['id']}/logs",
        headers=bearer(agent_token),
        json={"first_seq": 5, "lines": [{"line": "x"}]},
    )
    assert r.status_code == 409 and "expected first_seq 1" in r.json()["message"]
    logs = client.get(f"/api/v1/demo/executions/{run['id']}/logs", headers=bearer(admin)).json()
    assert logs["lines"] == []


def test_oversized_bodies_and_headers(gw_with_idp) -> None:
    client, _ = gw_with_idp
    admin = token_for("admin@demo")
    big = {"name": "big", "content": "- hosts: all\n" + "#" * (1024 * 1024)}
    r = client.post("/api/v1/demo/playbooks", json=big, headers=bearer(admin))
    assert r.status_code == 413
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer " + "a" * 9000})
    assert r.status_code == 401
    r = client.get("/api/v1/demo/executions?limit=100000", headers=bearer(admin))
    assert r.status_code == 422
