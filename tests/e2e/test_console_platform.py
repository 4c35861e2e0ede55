"""What the console stands on, over HTTP against `sculptops serve`: its page and files through
the local gateway (as API Gateway + the identity function serve them), its settings, and the
dev identity provider's authorization-code flow with PKCE, ending in an API call.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.stack import Stack

pytestmark = pytest.mark.e2e
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class _Form(HTMLParser):
    """The sign-in page's form: its action, hidden inputs and the users' buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.users: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a["action"]
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a["value"]
        elif tag == "button" and a.get("name") == "username":
            self.users.append(a["value"])


def _raw_get(stack: Stack, path: str) -> tuple[int, dict[str, str], bytes]:
    """A GET with the path exactly as written (httpx would normalise `..` away)."""
    parts = urlsplit(stack.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_the_page_is_served_at_the_root_with_a_strict_policy(stack: Stack) -> None:
    with stack.client() as c:
        r = c.get("/")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers.get_list("content-security-policy") == [STRICT_CSP]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-cache"
        # Every file the page names is served, immutable, from this origin.
        names = re.findall(r'(?:src|href)="(?:\./|/)?assets/([^"]+)"', r.text)
        assert names, r.text
        for name in names:
            a = c.get(f"/assets/{name}")
            assert a.status_code == 200, name
            assert a.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert a.headers["x-content-type-options"] == "nosniff"
            assert a.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")
        missing = c.get("/assets/index-00000000.js")
        assert missing.status_code == 404 and missing.json() == {"message": "no such asset"}


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../serverless.yml",
        "/assets/%2e%2e",
        "/assets/%2e%2e/%2e%2e/settings.py",
        "/assets/%2e%2e%2f%2e%2e%2fsettings.py",
        "/assets/..%2findex.html",
        "/assets/%252e%252e",
    ],
)
def test_no_path_leaves_the_bundles_folder(stack: Stack, path: str) -> None:
    status, headers, body = _raw_get(stack, path)
    assert status == 404, (path, body[:200])
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["message"] in ("no such asset", "Not Found")


def test_config_points_at_the_dev_identity_provider(stack: Stack) -> None:
    with stack.client() as c:
        r = c.get("/console/config.json")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "oidc": {
            "issuer": f"{stack.url}/dev/oidc",
            "authorization_endpoint": f"{stack.url}/dev/oidc/authorize",
            "token_endpoint": f"{stack.url}/dev/oidc/token",
            "client_id": "sculptops-console",
            "scope": "openid profile email",
            "end_session_endpoint": None,
        },
        "api_base": "/api/v1",
    }


def test_sign_in_with_pkce_then_call_the_api(stack: Stack) -> None:
    # Given the console's settings and a fresh verifier, as the console makes them
    with stack.client() as c:
        oidc = c.get("/console/config.json").json()["oidc"]
        discovery = c.get("/dev/oidc/.well-known/openid-configuration").json()
    assert discovery["authorization_endpoint"] == oidc["authorization_endpoint"]
    verifier = secrets.token_urlsafe(64)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state = secrets.token_urlsafe(16)
    redirect_uri = f"{stack.url}/"
    query = {
        "response_type": "code",
        "client_id": oidc["client_id"],
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "nonce": secrets.token_urlsafe(16),
        "scope": oidc["scope"],
    }
    with stack.client() as c:
        # When the user opens the authorize page and picks member@demo
        page = c.get(oidc["authorization_endpoint"], params=query)
        assert page.status_code == 200, page.text
        form = _Form()
        form.feed(page.text)
        assert form.action == "/dev/oidc/authorize"
        assert form.users == ["admin@acme", "admin@demo", "member@demo", "viewer@demo"]
        # The request as sent, plus the page's nonce (login CSRF) that the POST must carry
        nonce = form.hidden.pop("csrf")
        assert form.hidden == query
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", nonce)
        form.hidden["csrf"] = nonce
        picked = c.post(form.action, data={**form.hidden, "username": "member@demo"})
        assert picked.status_code == 302, picked.text
        location = urlsplit(picked.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
        got = parse_qs(location.query)
        assert got["state"] == [state]
        # And the console exchanges the code with its verifier
        exchange = {
            "grant_type": "authorization_code",
            "code": got["code"][0],
            "redirect_uri": redirect_uri,
            "client_id": oidc["client_id"],
            "code_verifier": verifier,
        }
        tokens = c.post(oidc["token_endpoint"], data=exchange)
        assert tokens.status_code == 200, tokens.text
        assert tokens.headers["cache-control"] == "no-store"
        # The same code again is refused, the OAuth way
        again = c.post(oidc["token_endpoint"], data=exchange)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    access = tokens.json()["access_token"]
    # Then the API takes the access token, and knows the user
    with stack.client(access) as c:
        me = c.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["user"]["id"] == "member@demo"
    # But never the ID token
    with stack.client(tokens.json()["id_token"]) as c:
        assert c.get("/api/v1/me").status_code == 401
    assert access not in stack.logs() and verifier not in stack.logs()
