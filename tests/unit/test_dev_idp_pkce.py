"""The dev identity provider's authorization-code flow with PKCE, attacks first (no sockets)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from sculptops.adapters.oidc import JwksAccessTokenVerifier
from sculptops.domain.errors import NotAuthenticated
from sculptops.http.headers import SecurityHeaders
from sculptops.local import authorization_codes
from sculptops.local.authorization_codes import (
    CODE_LIFETIME_SECONDS,
    FORM_LIFETIME_SECONDS,
    AuthorizationCodes,
    InvalidRequest,
    SignInForms,
)
from sculptops.local.devidp import PAGE_TITLE, DevIdentityProvider, routes

ORIGIN = "http://127.0.0.1:8000"
ISSUER = f"{ORIGIN}/dev/oidc"
CALLBACK = f"{ORIGIN}/#/callback"
REDIRECT = f"{ORIGIN}/"
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@pytest.fixture(scope="module")
def idp() -> DevIdentityProvider:
    return DevIdentityProvider(ISSUER, {"admin@demo", "member@demo", "viewer@demo"})


@pytest.fixture
def client(idp: DevIdentityProvider) -> Iterator[TestClient]:
    app = Starlette(routes=routes(idp), middleware=[Middleware(SecurityHeaders)])
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as c:
        yield c


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def params(challenge: str, **overrides: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "sculptops-console",
        "redirect_uri": REDIRECT,
        "state": "st-" + secrets.token_hex(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {k: v for k, v in base.items() if v is not None}


def page_nonce(client: TestClient, query: dict[str, str]) -> str:
    """Open the sign-in page for `query`; the nonce of its form."""
    r = client.get("/dev/oidc/authorize", params=query)
    assert r.status_code == 200, r.text
    found = re.search(r'<input type="hidden" name="csrf" value="([^"]+)">', r.text)
    assert found is not None, r.text
    return html.unescape(found.group(1))


def sign_in(client: TestClient, query: dict[str, str], user: str = "member@demo") -> str:
    """Open the page and POST its form for `user`; the code from the redirect."""
    form = {**query, "csrf": page_nonce(client, query), "username": user}
    r = client.post("/dev/oidc/authorize", data=form)
    assert r.status_code == 302, r.text
    location = urlsplit(r.headers["location"])
    got = parse_qs(location.query)
    assert got["state"] == [query["state"]]
    return got["code"][0]


def exchange(client: TestClient, code: str, verifier: str, **overrides: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "sculptops-console",
        "code_verifier": verifier,
        **overrides,
    }
    return client.post("/dev/oidc/token", data=form)


def assert_refused(r: Any, field: str) -> None:
    assert r.status_code == 400, r.text
    assert "location" not in r.headers
    body = r.json()
    assert body["errors"][0]["field"] == field, body
    assert body["message"].startswith(f"Invalid request: {field}: ")


# ---- hostile redirect URIs: refused, never redirected to ----


@pytest.mark.parametrize(
    "uri",
    [
        "http://evil.example/",
        "https://127.0.0.1:8000/",  # another scheme is another origin
        "http://127.0.0.1:8001/",
        "http://localhost:8000/",
        "javascript:alert(1)//127.0.0.1:8000/",
        "//evil.example/",
        "/relative",
        "http://127.0.0.1@evil.example/",
        "http://127.0.0.1:8000@evil.example/",
        "http://user@127.0.0.1:8000/",
        "http://127.0.0.1:8000\\@evil.example/",
        "http://127.0.0.1:8000.evil.example/",
        "http://127.0.0.1:8000/ok#fragment",
        "http://127.0.0.1:8000/\nLocation: http://evil.example/",
        "data:text/html,<script>alert(1)</script>",
        "",
    ],
)
def test_a_redirect_uri_off_the_stacks_origin_is_refused(client: TestClient, uri: str) -> None:
    _, challenge = pkce()
    query = params(challenge, redirect_uri=uri)
    assert_refused(client.get("/dev/oidc/authorize", params=query), "redirect_uri")
    # Nor does the form's POST redirect there, whatever the page was shown.
    assert_refused(
        client.post("/dev/oidc/authorize", data={**query, "username": "admin@demo"}),
        "redirect_uri",
    )


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"code_challenge_method": "plain"}, "code_challenge_method"),
        ({"code_challenge_method": None}, "code_challenge_method"),
        ({"code_challenge": "short"}, "code_challenge"),
        ({"code_challenge": "a" * 129}, "code_challenge"),
        ({"code_challenge": "a" * 42 + "/"}, "code_challenge"),
        ({"state": None}, "state"),
        ({"state": ""}, "state"),
        ({"state": "s" * 513}, "state"),
        ({"state": "line\nbreak"}, "state"),
        ({"nonce": "n" * 513}, "nonce"),
        ({"scope": "x" * 513}, "scope"),
        ({"response_type": "token"}, "response_type"),
        ({"client_id": "someone-else"}, "client_id"),
        ({"redirect_uri": ORIGIN + "/" + "a" * 3000}, "redirect_uri"),
    ],
)
def test_a_malformed_authorization_request_is_refused_naming_the_parameter(
    client: TestClient, override: dict[str, str | None], field: str
) -> None:
    _, challenge = pkce()
    assert_refused(client.get("/dev/oidc/authorize", params=params(challenge, **override)), field)


def test_a_parameter_given_twice_is_refused(client: TestClient) -> None:
    _, challenge = pkce()
    query = "&".join(f"{k}={v}" for k, v in params(challenge).items())
    r = client.get(f"/dev/oidc/authorize?{query}&redirect_uri=http://evil.example/")
    assert_refused(r, "redirect_uri")


def test_an_unknown_user_is_refused(client: TestClient) -> None:
    _, challenge = pkce()
    query = params(challenge)
    form = {**query, "csrf": page_nonce(client, query), "username": "root@evil"}
    assert_refused(client.post("/dev/oidc/authorize", data=form), "username")
    form = {**query, "csrf": page_nonce(client, query)}
    assert_refused(client.post("/dev/oidc/authorize", data=form), "username")


def test_a_form_posted_from_another_origin_is_refused(client: TestClient) -> None:
    _, challenge = pkce()
    query = params(challenge)
    form = {**query, "csrf": page_nonce(client, query), "username": "admin@demo"}
    r = client.post("/dev/oidc/authorize", data=form, headers={"Origin": "http://evil.example"})
    assert_refused(r, "origin")
    # A sandboxed frame or a no-referrer page sends Origin: null: no origin of ours, even when
    # Sec-Fetch-Site is absent (an older browser) or claims same-origin.
    for headers in (
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    ):
        assert_refused(client.post("/dev/oidc/authorize", data=form, headers=headers), "origin")
    # The page's own form names this origin, and its nonce is still good.
    r = client.post(
        "/dev/oidc/authorize",
        data=form,
        headers={"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"},
    )
    assert r.status_code == 302, r.text


def test_the_page_lets_its_form_name_its_origin(client: TestClient) -> None:
    # The API's `no-referrer` would make the browser send `Origin: null` on the form's POST.
    _, challenge = pkce()
    r = client.get("/dev/oidc/authorize", params=params(challenge))
    assert r.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("nonce", [None, "", "made-up", "x" * 43])
def test_a_form_without_a_nonce_of_a_page_shown_is_refused(
    client: TestClient, nonce: str | None
) -> None:
    # Given a form another site built: every authorize parameter, but no page was shown
    _, challenge = pkce()
    form = {**params(challenge), "username": "admin@demo"}
    if nonce is not None:
        form["csrf"] = nonce
    r = client.post("/dev/oidc/authorize", data=form)
    assert_refused(r, "csrf")
    assert nonce is None or nonce == "" or nonce not in r.text


def test_a_pages_nonce_works_once(client: TestClient) -> None:
    _, challenge = pkce()
    query = params(challenge)
    form = {**query, "csrf": page_nonce(client, query), "username": "admin@demo"}
    assert client.post("/dev/oidc/authorize", data=form).status_code == 302
    assert_refused(client.post("/dev/oidc/authorize", data=form), "csrf")


@pytest.mark.parametrize(
    "change",
    [
        {"state": "another-state"},
        {"redirect_uri": f"{ORIGIN}/elsewhere"},
        {"client_id": "sculptops-cli"},
        {"nonce": "added"},
    ],
)
def test_a_pages_nonce_is_bound_to_the_request_it_showed(
    client: TestClient, change: dict[str, str]
) -> None:
    # Given the nonce of a page shown for one request, sent with another request's parameters
    _, challenge = pkce()
    query = params(challenge)
    nonce = page_nonce(client, query)
    form = {**query, **change, "csrf": nonce, "username": "admin@demo"}
    assert_refused(client.post("/dev/oidc/authorize", data=form), "csrf")
    # And it is spent: the right parameters afterwards are too late
    form = {**query, "csrf": nonce, "username": "admin@demo"}
    assert_refused(client.post("/dev/oidc/authorize", data=form), "csrf")


def test_a_pages_nonce_expires_and_pending_pages_are_bounded() -> None:
    now = [1000.0]
    forms = SignInForms(clock=lambda: now[0])
    _, challenge = pkce()
    vetted = authorization_codes.parse_authorization_request(
        list(params(challenge).items()), ORIGIN
    )
    late = forms.issue(vetted)
    now[0] += FORM_LIFETIME_SECONDS
    with pytest.raises(InvalidRequest) as refused:
        forms.redeem(late, vetted)
    assert refused.value.field == "csrf"
    forms.redeem(forms.issue(vetted), vetted)
    for _ in range(authorization_codes.MAX_PENDING + 50):
        forms.issue(vetted)
    assert len(forms._pending) == authorization_codes.MAX_PENDING


def test_what_the_page_echoes_is_escaped(client: TestClient) -> None:
    _, challenge = pkce()
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    query = params(challenge, state=hostile, nonce=hostile, redirect_uri=f'{ORIGIN}/?q="><b>x</b>')
    r = client.get("/dev/oidc/authorize", params=query)
    assert r.status_code == 200, r.text
    page = r.text
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'value="&quot;&gt;&lt;script&gt;' in page
    # And the state goes back to the client as sent, encoded in the redirect's query.
    form = {**query, "csrf": page_nonce(client, query), "username": "admin@demo"}
    r = client.post("/dev/oidc/authorize", data=form)
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith(f"{ORIGIN}/?q=") and "<" not in location and '"' not in location
    assert parse_qs(urlsplit(location).query)["state"] == [hostile]


def test_an_oversized_form_is_refused(client: TestClient) -> None:
    r = client.post("/dev/oidc/authorize", content=b"state=" + b"x" * (2 * 1024 * 1024))
    assert r.status_code == 413


def test_invalid_utf8_is_refused_naming_the_parameter(client: TestClient) -> None:
    _, challenge = pkce()
    query = "&".join(f"{k}={v}" for k, v in params(challenge).items() if k != "state")
    assert_refused(client.get(f"/dev/oidc/authorize?{query}&state=%FF"), "state")


# ---- the page ----


def test_the_page_lists_each_seeded_user_as_a_button_of_one_form(client: TestClient) -> None:
    _, challenge = pkce()
    query = params(challenge, nonce="n-1", scope="openid profile email")
    r = client.get("/dev/oidc/authorize", params=query)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == STRICT_CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    page = r.text
    assert f"<title>{PAGE_TITLE}</title>" in page.replace("&#x27;", "'")
    assert page.count('<form method="post" action="/dev/oidc/authorize">') == 1
    for user in ("admin@demo", "member@demo", "viewer@demo"):
        assert f'<button type="submit" name="username" value="{user}">{user}</button>' in page
    for name, value in query.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    # And a nonce that binds the form to this page (login CSRF)
    assert re.search(r'<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">', page)
    assert "<script" not in page and "style=" not in page


# ---- the code and its exchange ----


def test_the_whole_flow_gives_tokens_the_api_accepts(
    client: TestClient, idp: DevIdentityProvider
) -> None:
    verifier, challenge = pkce()
    query = params(challenge, nonce="nonce-123")
    code = sign_in(client, query)
    r = exchange(client, code, verifier)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert set(body) == {"access_token", "id_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    # The authorizer's verifier takes the access token (azp: the console) and still refuses
    # the ID token.
    verifier_ = JwksAccessTokenVerifier(
        issuer=ISSUER,
        audience="account",
        jwks_url=f"{ISSUER}/jwks.json",
        fetch=lambda _: idp.jwks(),
    )
    claims = verifier_.verify(body["access_token"])
    assert claims["sub"] == "member@demo" and claims["azp"] == "sculptops-console"
    with pytest.raises(NotAuthenticated):
        verifier_.verify(body["id_token"])
    ident = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert ident["nonce"] == "nonce-123" and ident["aud"] == "sculptops-console"


def test_a_code_works_once(client: TestClient) -> None:
    verifier, challenge = pkce()
    code = sign_in(client, params(challenge))
    assert exchange(client, code, verifier).status_code == 200
    again = exchange(client, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.headers["cache-control"] == "no-store"


def test_a_wrong_verifier_fails_and_burns_the_code(client: TestClient) -> None:
    verifier, challenge = pkce()
    code = sign_in(client, params(challenge))
    other, _ = pkce()
    r = exchange(client, code, other)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # The right verifier afterwards is too late: one guess per code.
    assert exchange(client, code, verifier).json()["error"] == "invalid_grant"


def test_the_challenge_itself_is_not_a_verifier(client: TestClient) -> None:
    # `plain` in disguise: sending the challenge as the verifier must fail.
    _, challenge = pkce()
    code = sign_in(client, params(challenge))
    assert exchange(client, code, challenge).json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "override",
    [
        {"redirect_uri": f"{ORIGIN}/other"},
        {"client_id": "sculptops-cli"},
        {"client_id": "nobody"},
    ],
)
def test_a_code_is_bound_to_its_client_and_redirect_uri(
    client: TestClient, override: dict[str, str]
) -> None:
    verifier, challenge = pkce()
    code = sign_in(client, params(challenge))
    r = exchange(client, code, verifier, **override)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert code not in r.text


def test_an_expired_code_fails() -> None:
    now = [1000.0]
    codes = AuthorizationCodes(clock=lambda: now[0])
    verifier, challenge = pkce()
    vetted = authorization_codes.parse_authorization_request(
        list(params(challenge).items()), ORIGIN
    )
    code = codes.issue(vetted, "admin@demo")
    now[0] += CODE_LIFETIME_SECONDS
    with pytest.raises(authorization_codes.InvalidGrant):
        codes.redeem(code, "sculptops-console", REDIRECT, verifier)
    fresh = codes.issue(vetted, "admin@demo")
    now[0] += CODE_LIFETIME_SECONDS - 1
    assert codes.redeem(fresh, "sculptops-console", REDIRECT, verifier).username == "admin@demo"


def test_pending_codes_are_bounded() -> None:
    codes = AuthorizationCodes()
    _, challenge = pkce()
    vetted = authorization_codes.parse_authorization_request(
        list(params(challenge).items()), ORIGIN
    )
    for _ in range(authorization_codes.MAX_PENDING + 50):
        codes.issue(vetted, "admin@demo")
    assert len(codes._pending) == authorization_codes.MAX_PENDING


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "username": "admin@demo"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"code": "x"}, "invalid_request"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        (
            {"grant_type": "authorization_code", "code": "x", "code_verifier": "y"},
            "invalid_request",
        ),
    ],
)
def test_token_endpoint_errors_have_the_oauth_shape(
    client: TestClient, form: dict[str, str], error: str
) -> None:
    r = client.post("/dev/oidc/token", data=form)
    assert r.status_code == 400
    assert r.json()["error"] == error and "error_description" in r.json()


def test_the_json_username_grant_still_works(client: TestClient) -> None:
    r = client.post("/dev/oidc/token", json={"username": "admin@demo"})
    assert r.status_code == 200 and r.json()["token_type"] == "Bearer"
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["azp"] == "sculptops-cli"


def test_discovery_names_the_code_flow(client: TestClient) -> None:
    doc = client.get("/dev/oidc/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert "authorization_code" in doc["grant_types_supported"]
