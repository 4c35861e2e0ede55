"""The token flow through the local gateway: real authorizer, real handlers, moto tables.

In-process (no sockets): the gateway's ASGI app driven by Starlette's TestClient. The e2e suite
does the same over HTTP against `sculptops serve`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from starlette.testclient import TestClient

from sculptops.bootstrap import container
from sculptops.domain.identity import ACTIVE, CredentialKind, Principal
from sculptops.domain.token_format import generate
from sculptops.services.tokens import NewToken
from tests.integration.conftest import moto_gateway

UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture
def gw() -> Iterator[TestClient]:
    with moto_gateway("itest", catalog=False) as client:
        yield client


def token_for(user: str, **kw: object) -> str:
    c = container()
    u = c.identity_store.get_user(user)
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user, u), ACTIVE)
    return c.tokens.create(caller, NewToken(name=str(kw.pop("name", "seed")), **kw)).value  # type: ignore[arg-type]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_create_use_list_delete(gw: TestClient) -> None:
    admin = token_for("admin@demo")
    r = gw.post(
        "/api/v1/demo/tokens/", json={"name": "ci", "expires_in_days": 30}, headers=bearer(admin)
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) >= {"id", "name", "expiry_date", "created_at", "token"}
    new = body["token"]
    assert new.startswith("ag_live_")
    # The new token works, by either header.
    assert gw.get("/api/v1/me", headers=bearer(new)).json()["credential"]["id"] == body["id"]
    assert gw.get("/api/v1/demo/me", headers={"X-API-Key": new}).status_code == 200
    # Listed without a value.
    listed = gw.get("/api/v1/demo/tokens", headers=bearer(admin))
    assert listed.status_code == 200
    assert new not in listed.text and "digest" not in listed.text
    assert body["id"] in [t["id"] for t in listed.json()["tokens"]]
    # Deleted: refused on the very next request.
    assert gw.delete(f"/api/v1/demo/tokens/{body['id']}", headers=bearer(admin)).status_code == 204
    r = gw.get("/api/v1/me", headers=bearer(new))
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
    assert r.headers["www-authenticate"] == "Bearer"
    assert gw.delete(f"/api/v1/demo/tokens/{body['id']}", headers=bearer(admin)).status_code == 404


def test_the_same_401_for_every_bad_credential(gw: TestClient) -> None:
    admin = token_for("admin@demo")
    expired = token_for("admin@demo", name="short")
    revoked = token_for("viewer@demo")
    gw.delete("/api/v1/demo/tokens/", headers=bearer(revoked))
    c = container()
    # Expire one by moving its expiry into the past in the table.
    from datetime import UTC, datetime

    digest = c.authenticator._hasher.digest(expired)
    item = c.token_store._m.get(digest)
    item.update(actions=[c.token_store._m.expires_at.set(datetime(2020, 1, 1, tzinfo=UTC))])
    cases = {
        "missing": {},
        "malformed": bearer("not-a-token"),
        "bad checksum": bearer(admin[:-1] + ("A" if admin[-1] != "A" else "B")),
        "unknown": bearer(generate("ag_live_")),
        "expired": bearer(expired),
        "revoked": bearer(revoked),
        "wrong scheme": {"Authorization": f"Basic {admin}"},
    }
    responses = {name: gw.get("/api/v1/demo/tokens/", headers=h) for name, h in cases.items()}
    for name, r in responses.items():
        assert r.status_code == 401, name
        assert r.content == b'{"message":"Unauthorized"}', name
        assert r.headers["www-authenticate"] == "Bearer", name


def test_compat_surface_is_camel_case_on_the_active_tenant(gw: TestClient) -> None:
    admin = token_for("admin@acme")
    r = gw.post(
        "/api/tokens", json={"name": "old client", "expiresInDays": 5}, headers=bearer(admin)
    )
    assert r.status_code == 201, r.text
    assert {"expiryDate", "createdAt", "token"} <= set(r.json())
    listed = gw.get("/api/tokens/", headers=bearer(admin)).json()
    assert "nextCursor" in listed and "lastUsedAt" in listed["tokens"][0]
    me = gw.get("/api/me", headers=bearer(admin)).json()
    assert me["activeTenant"] == "acme" and me["tenant"] == "acme"


def test_other_tenant_is_403_with_a_reason(gw: TestClient) -> None:
    r = gw.get("/api/v1/acme/tokens/", headers=bearer(token_for("admin@demo")))
    assert r.status_code == 403
    assert r.json()["reason"] == "not a member of tenant acme"


def test_one_user_two_roles(gw: TestClient) -> None:
    t = token_for("member@demo")
    assert gw.get("/api/v1/demo/me", headers=bearer(t)).json()["role"] == "member"
    assert gw.get("/api/v1/acme/me", headers=bearer(t)).json()["role"] == "viewer"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "a", "expires_in_days": 400}, "expires_in_days"),
        ({"name": "a", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "a", "expiry_date": "2001-01-01T00:00:00Z"}, "expiry_date"),
        ({"name": "a", "expiry_date": "not a date"}, "expiry_date"),
        ({"name": "a", "ceiling": "owner"}, "ceiling"),
        ({"name": "a", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_422_naming_the_field(gw: TestClient, body: dict, field: str) -> None:
    admin = token_for("admin@demo")
    r = gw.post("/api/v1/demo/tokens/", json=body, headers=bearer(admin))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert admin not in r.text


def test_a_body_that_is_not_json_is_422(gw: TestClient) -> None:
    admin = token_for("admin@demo")
    r = gw.post(
        "/api/v1/demo/tokens/",
        content=b"{nope",
        headers={**bearer(admin), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "not valid JSON" in r.json()["message"]
    r = gw.post(
        "/api/v1/demo/tokens/",
        content=b"name=x",
        headers={**bearer(admin), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 422 and "Content-Type: application/json" in r.json()["message"]


def test_list_limit_and_cursor_are_validated(gw: TestClient) -> None:
    admin = token_for("admin@demo")
    for q in ("limit=0", "limit=5000", "limit=x", "cursor=abc"):
        r = gw.get(f"/api/v1/demo/tokens/?{q}", headers=bearer(admin))
        assert r.status_code == 422, q


def test_pagination_has_no_ceiling(gw: TestClient) -> None:
    admin = token_for("admin@demo")
    for i in range(30):
        token_for("admin@demo", name=f"t{i}")
    ids, cursor = [], None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = gw.get("/api/v1/demo/tokens/", params=params, headers=bearer(admin)).json()
        ids += [t["id"] for t in page["tokens"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == len(set(ids)) == 31


def test_unknown_route_and_public_routes(gw: TestClient) -> None:
    assert gw.get("/nope").status_code == 404
    assert gw.post("/health").status_code == 404
    assert gw.get("/health").json() == {"status": "ok"}
    doc = gw.get("/api/v1/openapi.json").json()
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    assert "/api/v1/{tenant_id}/tokens/" in doc["paths"] and "/api/tokens/" in doc["paths"]
    page = gw.get("/api/v1/docs").text
    assert "cdn" not in page.lower() and "docs/assets/swagger-ui-bundle.js" in page
    assert gw.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert gw.get("/api/v1/docs/assets/..%2F..%2Fsecret").status_code == 404


def _throttle(**_: object) -> tuple[AWSResponse, dict]:
    parsed = {
        "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    return AWSResponse("http://dynamodb", 400, {}, None), parsed


def _client_of(model: object):
    return model._get_connection().connection.client  # type: ignore[attr-defined]


@contextmanager
def tokens_table_fault(operation: str, code: str, status: int = 400) -> Iterator[None]:
    """Every DynamoDB client of the process (the functions' pynamodb ones and the authorizer's
    own botocore one) answers `operation` on the tokens table with this error."""
    table = container().settings.tokens_table
    original = BaseClient._make_api_call

    def failing(self: Any, name: str, params: dict[str, Any]) -> Any:
        touched = params.get("TableName") == table or table in (params.get("RequestItems") or {})
        if name == operation and touched and self.meta.service_model.service_name == "dynamodb":
            error = {"Code": code, "Message": "injected"}
            raise ClientError(
                {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}, name
            )
        return original(self, name, params)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(BaseClient, "_make_api_call", failing)
        yield


@pytest.mark.parametrize(
    ("operation", "path"),
    [
        ("BatchGetItem", "/api/v1/demo/tokens/"),  # a tenant's route: token, owner, tenant
        ("BatchGetItem", "/api/tokens/"),  # the active tenant's route: token and owner first
    ],
)
def test_throttling_in_the_authorizer_is_503_never_an_allow(
    gw: TestClient, operation: str, path: str
) -> None:
    admin = token_for("admin@demo")
    assert gw.get(path, headers=bearer(admin)).status_code == 200
    with tokens_table_fault(operation, "ProvisionedThroughputExceededException"):
        r = gw.get(path, headers=bearer(admin))
    assert r.status_code == 503 and r.headers["retry-after"] == "1"


def test_throttling_in_a_function_is_503_and_nothing_half_written(gw: TestClient) -> None:
    admin = token_for("admin@demo")
    c = container()
    client = _client_of(c.token_store._m)
    client.meta.events.register("before-call.dynamodb.PutItem", _throttle)
    # The token, its tenant index entries and its audit event are one transaction.
    tx_client = c.token_ledger._conn.client  # type: ignore[attr-defined]
    tx_client.meta.events.register("before-call.dynamodb.TransactWriteItems", _throttle)
    try:
        r = gw.post("/api/v1/demo/tokens/", json={"name": "x"}, headers=bearer(admin))
    finally:
        client.meta.events.unregister("before-call.dynamodb.PutItem", _throttle)
        tx_client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", _throttle)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "1"
    names = [
        t["name"] for t in gw.get("/api/v1/demo/tokens/", headers=bearer(admin)).json()["tokens"]
    ]
    assert "x" not in names
