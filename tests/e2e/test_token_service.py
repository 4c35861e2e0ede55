"""The README's token walk-through, over HTTP, against `sculptops serve`."""

from __future__ import annotations

import re

import pytest

from tests.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e
UNAUTHORIZED = b'{"message":"Unauthorized"}'


def _jwt(stack: Stack, username: str, kind: str = "access_token") -> str:
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": username})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    return str(body[kind])


def test_session_jwt_to_token_to_use_to_revoke(stack: Stack) -> None:
    # Given a session JWT from the (dev) identity provider
    jwt = _jwt(stack, "member@demo")
    with stack.client(jwt) as c:
        me = c.get("/api/v1/me").json()
        assert me["user"]["id"] == "member@demo" and me["credential"]["kind"] == "jwt"
        assert {t["slug"]: t["role"] for t in me["tenants"]} == {"acme": "viewer", "demo": "member"}
        # When it creates a personal API token
        r = c.post("/api/v1/demo/tokens/", json={"name": "laptop", "expires_in_days": 30})
        assert r.status_code == 201, r.text
        created = r.json()
    token = created["token"]
    assert re.fullmatch(r"ag_live_[0-9A-Za-z]{58}", token)  # random, owner key, checksum
    # Then the token works with curl-style headers
    with stack.client(token) as c:
        me = c.get("/api/v1/demo/me").json()
        assert me["credential"] == {
            "kind": "token",
            "id": created["id"],
            "name": "laptop",
            "expiry_date": created["expiry_date"],
            "ceiling": None,
        }
        assert me["role"] == "member"
        listed = c.get("/api/v1/demo/tokens/")
        assert token not in listed.text
        assert created["id"] in [t["id"] for t in listed.json()["tokens"]]
        # And revoke-all refuses it on the very next request
        assert c.delete("/api/v1/demo/tokens/").status_code == 204
        r = c.get("/api/v1/me")
        assert r.status_code == 401 and r.content == UNAUTHORIZED
        assert r.headers["www-authenticate"] == "Bearer"
    # The session JWT itself still works (it is not a personal token).
    with stack.client(jwt) as c:
        assert c.get("/api/v1/demo/tokens/").json()["tokens"] == []


def test_an_id_token_is_refused_like_any_bad_credential(stack: Stack) -> None:
    id_token = _jwt(stack, "admin@demo", "id_token")
    with stack.client(id_token) as c:
        r = c.get("/api/v1/me")
    assert r.status_code == 401 and r.content == UNAUTHORIZED


def test_the_banner_token_and_both_headers(stack: Stack) -> None:
    with stack.client() as c:
        assert c.get("/api/v1/me", headers={"X-API-Key": stack.token}).status_code == 200
        assert (
            c.get("/api/v1/me", headers={"Authorization": f"Bearer {stack.token}"}).status_code
            == 200
        )
        assert c.get("/api/v1/me").content == UNAUTHORIZED


def test_dev_idp_refuses_unknown_users(stack: Stack) -> None:
    with stack.client() as c:
        assert c.post("/dev/oidc/token", json={"username": "mallory"}).status_code == 404
        assert c.post("/dev/oidc/token", json={}).status_code == 422
        assert c.post("/dev/oidc/token", content=b"{").status_code == 400


def test_a_leaked_short_token_cannot_mint_a_long_one(stack: Stack) -> None:
    with stack.client(_jwt(stack, "admin@demo")) as c:
        short = c.post("/api/v1/demo/tokens/", json={"name": "short", "expires_in_days": 1}).json()
    with stack.client(short["token"]) as c:
        r = c.post("/api/v1/demo/tokens/", json={"name": "long", "expires_in_days": 300})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "expires_in_days"
        child = c.post("/api/v1/demo/tokens/", json={"name": "child"}).json()
        assert child["expiry_date"] == short["expiry_date"]


def test_no_secret_reaches_the_logs(stack: Stack) -> None:
    # A full create -> use -> revoke flow at DEBUG, then search the server's whole output.
    jwt = _jwt(stack, "viewer@demo")
    with stack.client(jwt) as c:
        created = c.post("/api/v1/demo/tokens/", json={"name": "log-check"}).json()
    token = created["token"]
    with stack.client(token) as c:
        c.get("/api/v1/demo/tokens/")
        c.get("/api/v1/acme/tokens/")  # 403
        c.delete(f"/api/v1/demo/tokens/{created['id']}")
        c.get("/api/v1/me")  # 401 now
    with stack.client(token + "x") as c:
        c.get("/api/v1/me")
    from sculptops.domain.token_format import TokenHasher

    logs = stack.logs()
    assert "DEBUG" in logs or "INFO" in logs  # the log is really being captured
    for secret in (token, token[8:], jwt, jwt.split(".")[1]):
        assert secret not in logs
    # The banner prints one ready-to-paste token on purpose (stdout, not a log line); only there.
    assert logs.count(stack.token) == 1
    for pepper in (b"local-pepper-not-a-secret", None):
        assert TokenHasher(pepper).digest(token) not in logs


@pytest.mark.dynamodb_local
def test_the_stack_on_dynamodb_local(tmp_path) -> None:
    from sculptops.local.dynamodb import dynamodb_local_available

    if not dynamodb_local_available():
        pytest.skip("DynamoDB Local needs Java and `npm ci`")
    s = start_stack(tmp_path, "local")
    try:
        with s.client(s.token) as c:
            r = c.post("/api/v1/demo/tokens/", json={"name": "on dynamodb local"})
            assert r.status_code == 201
            new = r.json()["token"]
        with s.client(new) as c:
            assert c.get("/api/v1/me").status_code == 200
            assert c.delete("/api/v1/demo/tokens/").status_code == 204
            assert c.get("/api/v1/me").status_code == 401
    finally:
        stop_stack(s)


def test_repeated_failed_authentication_is_rate_limited(tmp_path) -> None:
    s = start_stack(tmp_path, agents=False, env={"SCULPTOPS_FAILED_AUTH_PER_MINUTE": "5"})
    try:
        with s.client() as c:
            statuses = [
                c.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code
                for _ in range(5)
            ]
            assert statuses == [401] * 5
            blocked = c.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
            assert blocked.status_code == 429
            assert blocked.json() == {"message": "Too Many Requests"}
            assert 1 <= int(blocked.headers["retry-after"]) <= 61
            # Public routes stay reachable.
            assert c.get("/health").status_code == 200
    finally:
        stop_stack(s)
