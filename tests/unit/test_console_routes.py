"""The console's public routes (http/console.py) in the identity app, with a bundle of our own."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sculptops.http import console
from sculptops.http.app import create_app
from sculptops.http.deps import get_container
from sculptops.settings import Settings

ORIGIN = "http://127.0.0.1:8000"
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
LOCAL = Settings(
    oidc_issuer=f"{ORIGIN}/dev/oidc",
    oidc_authorization_endpoint=f"{ORIGIN}/dev/oidc/authorize",
    oidc_token_endpoint=f"{ORIGIN}/dev/oidc/token",
    console_client_id="sculptops-console",
)
INDEX = '<!doctype html><title>t</title><script type="module" src="./assets/app-1a2b.js"></script>'


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A console build: index.html, two assets, and a secret file beside the folder."""
    root = tmp_path / "console"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-1a2b.js").write_text("console.log('hi')")
    (root / "assets" / "app-1a2b.css").write_text("body{}")
    (root / "assets" / "logo-9f.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "assets" / "app-1a2b.js.map").write_text("{}")
    (root / "assets" / "nested").mkdir()
    (tmp_path / "secret.txt").write_text("not for you")
    monkeypatch.setattr(console, "CONSOLE_DIR", root)
    return root


def client_for(settings: Settings) -> TestClient:
    app = create_app(console.routers)
    app.dependency_overrides[get_container] = lambda: SimpleNamespace(settings=settings)
    return TestClient(app, base_url=ORIGIN, follow_redirects=False)


@pytest.fixture
def client(bundle: Path) -> Iterator[TestClient]:
    with client_for(LOCAL) as c:
        yield c


def test_the_page_has_a_strict_policy_and_is_revalidated(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.text == INDEX
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers.get_list("content-security-policy") == [STRICT_CSP]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-cache"


def test_assets_are_served_by_exact_name_and_kept_a_year(client: TestClient) -> None:
    for name, kind in (
        ("app-1a2b.js", "text/javascript; charset=utf-8"),
        ("app-1a2b.css", "text/css; charset=utf-8"),
        ("logo-9f.svg", "image/svg+xml"),
    ):
        r = client.get(f"/assets/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"] == kind
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/assets/nope-123.js",
        "/assets/APP-1A2B.JS",
        "/assets/app-1a2b.js.map",  # no source maps, even if one was left behind
        "/assets/nested",
        "/assets/%2e%2e",
        "/assets/..%2Fsecret.txt",
        "/assets/%2e%2e%2fsecret.txt",
        "/assets/..%5Csecret.txt",
        "/assets/app-1a2b.js%00",
        "/assets/.",
    ],
)
def test_anything_but_a_listed_asset_is_404_json(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, path
    assert r.headers["content-type"] == "application/json"
    assert "not for you" not in r.text
    assert r.json()["message"] in ("no such asset", "Not Found")


def test_a_missing_build_is_a_404_that_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "CONSOLE_DIR", tmp_path / "nothing")
    with client_for(LOCAL) as c:
        r = c.get("/")
        assert r.status_code == 404 and r.json() == {"message": "the console is not built"}
        assert c.get("/assets/app.js").status_code == 404


def test_config_points_the_console_at_the_identity_provider(client: TestClient) -> None:
    r = client.get("/console/config.json")
    assert r.status_code == 200
    assert r.json() == {
        "oidc": {
            "issuer": f"{ORIGIN}/dev/oidc",
            "authorization_endpoint": f"{ORIGIN}/dev/oidc/authorize",
            "token_endpoint": f"{ORIGIN}/dev/oidc/token",
            "client_id": "sculptops-console",
            "scope": "openid profile email",
            "end_session_endpoint": None,
        },
        "api_base": "/api/v1",
    }
    assert r.headers["x-content-type-options"] == "nosniff"


def test_config_names_what_is_missing_with_503(bundle: Path) -> None:
    partial = Settings(oidc_issuer="https://sso.example.com/realms/acme")
    with client_for(partial) as c:
        r = c.get("/console/config.json")
    assert r.status_code == 503
    message = r.json()["message"]
    assert "SCULPTOPS_OIDC_AUTHORIZATION_ENDPOINT" in message
    assert "SCULPTOPS_OIDC_TOKEN_ENDPOINT" in message
    assert "SCULPTOPS_CONSOLE_CLIENT_ID" in message
    assert "SCULPTOPS_OIDC_ISSUER" not in message


def test_a_foreign_token_endpoint_is_the_one_origin_the_page_may_connect_to(
    bundle: Path,
) -> None:
    aws = Settings(
        oidc_issuer="https://sso.example.com/realms/acme",
        oidc_authorization_endpoint="https://sso.example.com/realms/acme/protocol/openid-connect/auth",
        oidc_token_endpoint="https://sso.example.com/realms/acme/protocol/openid-connect/token",
        console_client_id="sculptops-console",
    )
    with client_for(aws) as c:
        csp = c.get("/").headers["content-security-policy"]
    assert "connect-src 'self' https://sso.example.com;" in csp
    assert "script-src 'self';" in csp and "form-action 'self'" in csp


def test_settings_read_the_console_parameters() -> None:
    env = {
        "SCULPTOPS_OIDC_ISSUER": "https://sso.example.com/r",
        "SCULPTOPS_OIDC_AUTHORIZATION_ENDPOINT": "https://sso.example.com/r/auth",
        "SCULPTOPS_OIDC_TOKEN_ENDPOINT": "https://sso.example.com/r/token",
        "SCULPTOPS_OIDC_END_SESSION_ENDPOINT": "https://sso.example.com/r/logout",
        "SCULPTOPS_CONSOLE_CLIENT_ID": "console",
    }
    s = Settings.from_env(env)
    assert console.console_config(s) == {
        "oidc": {
            "issuer": "https://sso.example.com/r",
            "authorization_endpoint": "https://sso.example.com/r/auth",
            "token_endpoint": "https://sso.example.com/r/token",
            "client_id": "console",
            "scope": "openid profile email",
            "end_session_endpoint": "https://sso.example.com/r/logout",
        },
        "api_base": "/api/v1",
    }
    from sculptops.settings import SettingsError

    for name, bad in (
        ("SCULPTOPS_OIDC_TOKEN_ENDPOINT", "http://evil.example/token"),
        ("SCULPTOPS_OIDC_AUTHORIZATION_ENDPOINT", "javascript:alert(1)"),
        ("SCULPTOPS_CONSOLE_CLIENT_ID", "a\nb"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**env, name: bad})


# ---- through the identity function's Lambda handler, as API Gateway invokes it ----


def _identity_handler() -> Any:
    root = Path(__file__).parents[2]
    spec = importlib.util.spec_from_file_location(
        "identity_handler_for_console", root / "functions" / "identity" / "handler.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.app.dependency_overrides[get_container] = lambda: SimpleNamespace(settings=LOCAL)
    return module.handler


def _event(resource: str, path: str, full_path: str, params: dict[str, str] | None = None) -> Any:
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "abc123.execute-api.eu-west-1.amazonaws.com"},
        "multiValueHeaders": {"Host": ["abc123.execute-api.eu-west-1.amazonaws.com"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": "GET",
            "path": full_path,
            "stage": "prod",
            "requestId": "r-1",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "pytest"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def test_on_a_stage_url_the_api_base_carries_the_stage_and_assets_are_text(
    bundle: Path,
) -> None:
    handler = _identity_handler()
    context = SimpleNamespace(aws_request_id="r-1")
    out = handler(
        _event("/console/config.json", "/console/config.json", "/prod/console/config.json"),
        context,
    )
    assert out["statusCode"] == 200
    assert json.loads(out["body"])["api_base"] == "/prod/api/v1"
    # The stage root without its slash goes to the slash, where relative asset URLs work.
    out = handler(_event("/", "/", "/prod"), context)
    assert out["statusCode"] == 308 and out["headers"]["location"] == "prod/"
    out = handler(_event("/", "/", "/prod/"), context)
    assert out["statusCode"] == 200 and out["body"] == INDEX
    # Every file of the bundle reaches API Gateway as text, svg included (no binary media types).
    for name in ("app-1a2b.js", "app-1a2b.css", "logo-9f.svg"):
        out = handler(
            _event("/assets/{name}", f"/assets/{name}", f"/prod/assets/{name}", {"name": name}),
            context,
        )
        assert out["statusCode"] == 200 and out["isBase64Encoded"] is False, name
