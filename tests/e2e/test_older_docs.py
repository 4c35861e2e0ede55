"""Every example of the older docs (/work/shared/older-docs), sent as the doc shows it.

Each test sends the request with the doc's path and body spelling against `sculptops serve` and
reads the answer the way a client written to that doc would: by type, not only by key. The
comment on each test quotes the doc line it checks (000: SculptOps "API Tokens"; 001: the API-key
page; 002: "API Tokens" from the Swagger UI).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.stack import Stack

pytestmark = pytest.mark.e2e
PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"
UNAUTHORIZED = {"message": "Unauthorized"}
# The doc's example date, while it is still in the future.
DOC_EXPIRY = "2026-12-31T23:59:59Z"
LEVELS = {"ok", "changed", "failed", "skipped", "unreachable", "info", "error"}


def iso(value: Any) -> datetime:
    """An ISO-8601 string with a UTC offset, as `"2025-01-15T10:30:00Z"` in the docs."""
    assert isinstance(value, str), value
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def jwt(stack: Stack, username: str, kind: str = "access_token") -> str:
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": username})
    assert r.status_code == 200, r.text
    return str(r.json()[kind])


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def finished(c: httpx.Client, path: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = c.get(path).json()
        if body["status"] not in ("queued", "running"):
            return dict(body)
        time.sleep(0.5)
    raise AssertionError(f"{path} did not finish: {body}")


def sse_events(text: str) -> Iterator[dict[str, str]]:
    """Events of an SSE body, parsed as the SSE spec says (only the fields the docs use)."""
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if "data" in fields:
            yield fields


@pytest.fixture(scope="module")
def finished_run(stack: Stack) -> dict[str, Any]:
    """A finished run of the ping playbook, triggered on the compat surface."""
    with stack.client(stack.token) as c:
        r = c.post("/api/executions", json={"playbookId": PING_ID, "inventoryId": LOCAL_ID})
        assert r.status_code == 201, r.text
        return finished(c, f"/api/executions/{r.json()['id']}")


# ---- 000: SculptOps "API Tokens" ----


def test_000_list_playbooks(stack: Stack) -> None:
    # 000: GET /api/playbooks · Authorization: Bearer <token>
    #      { "playbooks": [ { "id": "abc123", "name": "Deploy app", "updatedAt": "2025-01-15T10:30:00Z" }, ... ] }
    with stack.client(stack.token) as c:
        r = c.get("/api/playbooks")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    playbooks = r.json()["playbooks"]
    assert isinstance(playbooks, list) and playbooks
    for p in playbooks:
        assert isinstance(p["id"], str) and isinstance(p["name"], str)
        iso(p["updatedAt"])
    assert any(p["id"] == PING_ID and p["name"] == "ping" for p in playbooks)


def test_000_trigger_a_playbook_run(stack: Stack) -> None:
    # 000: POST /api/executions · Content-Type: application/json
    #      { "playbookId": "abc123", "inventoryId": "def456",
    #        "extraVars": { "env": "production" }, "tags": ["deploy"] }
    body = {
        "playbookId": PING_ID,
        "inventoryId": LOCAL_ID,
        "extraVars": {"env": "production"},
        "tags": ["deploy"],
    }
    with stack.client(stack.token) as c:
        r = c.post("/api/executions", json=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 201, r.text
        run = r.json()
        assert isinstance(run["id"], str) and run["status"] == "queued"
        assert run["playbookId"] == PING_ID and run["inventoryId"] == LOCAL_ID
        assert run["extraVars"] == {"env": "production"} and run["tags"] == ["deploy"]
        # A playbook without a `deploy` tag runs no task, and that is a success.
        done = finished(c, f"/api/executions/{run['id']}")
    assert done["status"] == "success" and done["exitCode"] == 0


def test_000_get_execution_status(stack: Stack, finished_run: dict[str, Any]) -> None:
    # 000: GET /api/executions/:id
    #      { "id": "exec789", "status": "success",  // running | success | failed | cancelled
    #        "startedAt": "2025-01-15T10:31:00Z", "finishedAt": "2025-01-15T10:33:42Z", "exitCode": 0 }
    with stack.client(stack.token) as c:
        r = c.get(f"/api/executions/{finished_run['id']}")
    assert r.status_code == 200
    run = r.json()
    assert isinstance(run["id"], str) and run["id"] == finished_run["id"]
    assert run["status"] in {"running", "success", "failed", "cancelled"}
    assert run["status"] == "success"
    assert iso(run["startedAt"]) <= iso(run["finishedAt"])
    assert type(run["exitCode"]) is int and run["exitCode"] == 0


def test_000_stream_execution_logs_sse(stack: Stack, finished_run: dict[str, Any]) -> None:
    # 000: GET /api/executions/:id/logs/stream · Accept: text/event-stream
    #      # Each event:
    #      data: {"line": "TASK [ping] *****", "level": "ok", "ts": 1736934660}
    path = f"/api/executions/{finished_run['id']}/logs/stream"
    events: list[dict[str, str]] = []
    headers = {"Accept": "text/event-stream"}
    with stack.client(stack.token) as c:
        for _ in range(50):  # an EventSource's reconnects, bounded
            r = c.get(path, headers=headers)
            if r.status_code == 204:
                break
            assert r.status_code == 200 and r.headers["content-type"].startswith(
                "text/event-stream"
            )
            got = list(sse_events(r.text))
            events += got
            if got:
                headers["Last-Event-ID"] = got[-1]["id"]
        else:
            raise AssertionError("the stream never ended with 204")
    assert events
    started = iso(finished_run["startedAt"]).timestamp()
    ended = iso(finished_run["finishedAt"]).timestamp()
    for event in events:
        data = json.loads(event["data"])
        assert isinstance(data["line"], str) and data["level"] in LEVELS
        assert type(data["ts"]) is int, data  # epoch seconds, as the doc shows
        assert int(started) - 1 <= data["ts"] <= ended + 1
    lines = [json.loads(e["data"])["line"] for e in events]
    assert any(line.startswith("TASK [") for line in lines)
    assert any(json.loads(e["data"])["level"] == "ok" for e in events)


def test_000_poll_logs_give_ts_in_epoch_seconds(stack: Stack, finished_run: dict[str, Any]) -> None:
    # 000: "ts": 1736934660 — the same event on the JSON poll of the compat surface (DESIGN §3);
    # /api/v1 keeps ISO-8601.
    with stack.client(stack.token) as c:
        compat = c.get(f"/api/executions/{finished_run['id']}/logs").json()
        canonical = c.get(f"/api/v1/demo/executions/{finished_run['id']}/logs").json()
    assert compat["complete"] is True and isinstance(compat["lines"], list) and compat["lines"]
    for old, new in zip(compat["lines"], canonical["lines"], strict=True):
        assert type(old["ts"]) is int and isinstance(old["line"], str)
        assert old["level"] in LEVELS
        assert old["ts"] == int(iso(new["ts"]).timestamp())
        assert old["line"] == new["line"] and old["seq"] == new["seq"]


def test_000_list_inventory_hosts(stack: Stack) -> None:
    # 000: List inventory hosts · GET /api/inventories/:id
    with stack.client(stack.token) as c:
        r = c.get(f"/api/inventories/{LOCAL_ID}")
    assert r.status_code == 200
    inventory = r.json()
    assert inventory["id"] == LOCAL_ID and isinstance(inventory["name"], str)
    assert isinstance(inventory["hosts"], list)
    assert [h["name"] for h in inventory["hosts"]] == ["localhost"]
    assert all(isinstance(h["vars"], dict) for h in inventory["hosts"])
    iso(inventory["updatedAt"])


def test_000_bearer_token_with_curl(stack: Stack) -> None:
    # 000: curl https://your-instance.example.com/api/playbooks \
    #        -H "Authorization: Bearer ag_live_abc123xyz..."
    assert stack.token.startswith("ag_live_")
    r = httpx.get(f"{stack.url}/api/playbooks", headers={"Authorization": f"Bearer {stack.token}"})
    assert r.status_code == 200 and isinstance(r.json()["playbooks"], list)


def test_000_token_table_create_list_delete_revoke_all(stack: Stack) -> None:
    # 000: | List tokens GET /api/tokens | Create token POST /api/tokens |
    #      | Delete token DELETE /api/tokens/:id | Revoke all tokens DELETE /api/tokens |
    # "Give it a descriptive name (e.g. github-actions-deploy) and an optional expiry date. After
    # saving, the token value is shown once". admin@acme: revoking all is safe for other tests.
    session = jwt(stack, "admin@acme")
    expiry = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    with stack.client(session) as c:
        r = c.post(
            "/api/tokens",
            json={"name": "github-actions-deploy", "expiryDate": expiry.isoformat()},
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert isinstance(created["id"], str) and created["name"] == "github-actions-deploy"
        assert iso(created["expiryDate"]) == expiry and isinstance(created["token"], str)
        assert created["token"].startswith("ag_live_")
        second = c.post("/api/tokens", json={"name": "nightly"}).json()

        listed = c.get("/api/tokens")
        assert listed.status_code == 200
        tokens = listed.json()["tokens"]
        assert isinstance(tokens, list)
        assert created["token"] not in listed.text and second["token"] not in listed.text
        mine = next(t for t in tokens if t["id"] == created["id"])
        assert mine["name"] == "github-actions-deploy" and iso(mine["expiryDate"]) == expiry
        assert "token" not in mine

        with stack.client(created["token"]) as t:
            assert t.get("/api/playbooks").status_code == 200
        assert c.delete(f"/api/tokens/{created['id']}").status_code == 204
        with stack.client(created["token"]) as t:
            gone = t.get("/api/playbooks")
        assert gone.status_code == 401 and gone.json() == UNAUTHORIZED

        with stack.client(second["token"]) as t:
            assert t.get("/api/playbooks").status_code == 200
        assert c.delete("/api/tokens").status_code == 204
        with stack.client(second["token"]) as t:
            assert t.get("/api/playbooks").status_code == 401
        assert c.get("/api/tokens").json()["tokens"] == []


# ---- 001: the API-key page ----


def test_001_api_key_header(stack: Stack) -> None:
    # 001: "Authentication to the API is performed by supplying the X-unSkript-API-Key header
    # with API token as it's value." The product's promise is `X-API-Key: <token>` (DESIGN §3).
    r = httpx.get(f"{stack.url}/api/playbooks", headers={"X-API-Key": stack.token})
    assert r.status_code == 200 and isinstance(r.json()["playbooks"], list)


def test_001_requests_without_a_valid_token_get_401(stack: Stack) -> None:
    # 001: "Requests without a valid API token will fail and return a 401 error."
    for headers in ({}, {"X-API-Key": "not-a-token"}, {"X-API-Key": "ag_live_" + "A" * 36}):
        r = httpx.get(f"{stack.url}/api/playbooks", headers=headers)
        assert r.status_code == 401 and r.json() == UNAUTHORIZED
        assert r.headers["www-authenticate"] == "Bearer"


def test_001_days_valid_and_the_trash_can(stack: Stack) -> None:
    # 001: "Days that it remains valid" · "Click the trash can next to the token to remove it
    # ... Once removed, it cannot be recovered."
    with stack.client(jwt(stack, "member@demo")) as c:
        r = c.post("/api/tokens", json={"name": "ci", "expiresInDays": 7})
        assert r.status_code == 201, r.text
        created = r.json()
        days = (iso(created["expiryDate"]) - iso(created["createdAt"])).total_seconds() / 86400
        assert round(days) == 7
        assert c.delete(f"/api/tokens/{created['id']}").status_code == 204
        assert c.delete(f"/api/tokens/{created['id']}").status_code == 404
    r = httpx.get(f"{stack.url}/api/playbooks", headers={"X-API-Key": created["token"]})
    assert r.status_code == 401


# ---- 002: "API Tokens" from the Swagger UI ----


def test_002_the_access_token_is_a_bearer_for_account(stack: Stack) -> None:
    # 002: "To check a token, decode its payload and confirm "typ": "Bearer" and an "aud" that
    # includes "account"."
    payload = claims(jwt(stack, "viewer@demo"))
    audience = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
    assert payload["typ"] == "Bearer" and "account" in audience


def test_002_the_id_token_is_refused(stack: Stack) -> None:
    # 002: "If you copy the id token ... the request fails with 401 ... Invalid token."
    with stack.client(jwt(stack, "viewer@demo", "id_token")) as c:
        r = c.post("/api/v1/active/tokens/", json={"name": "my-api-token"})
    assert r.status_code == 401 and r.json() == UNAUTHORIZED


def test_002_swagger_ui_and_the_create_operation(stack: Stack) -> None:
    # 002: "Open the Swagger UI for the deployment: https://<your-deployment>/api/v1/docs" ·
    # "Find POST /api/v1/{tenant_id}/tokens/ (Create API Token) and click Try it out."
    ui = httpx.get(f"{stack.url}/api/v1/docs")
    assert ui.status_code == 200 and ui.headers["content-type"].startswith("text/html")
    doc = httpx.get(f"{stack.url}/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/{tenant_id}/tokens/"]["post"]
    assert op["summary"] == "Create API Token"
    assert "tenant_id" in [p["name"] for p in op["parameters"] if p["in"] == "path"]
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_002_create_use_list_revoke(stack: Stack) -> None:
    # 002: Set tenant_id to active · { "name": "my-api-token", "expiry_date": "2026-12-31T23:59:59Z" }
    #      A 201 response contains the token: { "id": "...", "name": "my-api-token",
    #      "expiry_date": "2026-12-31T23:59:59Z", "token": "sk-..." }
    now = datetime.now(UTC)
    expiry = DOC_EXPIRY if iso(DOC_EXPIRY) > now else f"{now.year + 1}-06-30T23:59:59Z"
    session = jwt(stack, "viewer@demo")
    with stack.client(session) as c:
        r = c.post("/api/v1/active/tokens/", json={"name": "my-api-token", "expiry_date": expiry})
    assert r.status_code == 201, r.text
    created = r.json()
    assert isinstance(created["id"], str) and created["name"] == "my-api-token"
    assert created["expiry_date"] == expiry  # the very string the doc shows
    token = created["token"]
    assert isinstance(token, str) and token.startswith("ag_live_")  # the product's prefix

    # 002: curl https://<your-deployment>/api/v1/active/agents/ -H "Authorization: Bearer sk-..."
    with stack.client(token) as t:
        agents = t.get("/api/v1/active/agents/")
    assert agents.status_code == 200 and isinstance(agents.json()["agents"], list)

    # 002: | List | GET /api/v1/{tenant_id}/tokens/ | "returns each token's id, name, and expiry
    # date, but never the token value."
    with stack.client(session) as c:
        listed = c.get("/api/v1/active/tokens/")
        assert listed.status_code == 200 and token not in listed.text
        mine = next(t for t in listed.json()["tokens"] if t["id"] == created["id"])
        assert mine["name"] == "my-api-token" and mine["expiry_date"] == expiry

        # 002: | Revoke | DELETE /api/v1/{tenant_id}/tokens/{token_id} | "deletes it permanently
        # and immediately invalidates any client still using it."
        assert c.delete(f"/api/v1/active/tokens/{created['id']}").status_code == 204
    with stack.client(token) as t:
        r = t.get("/api/v1/active/agents/")
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
