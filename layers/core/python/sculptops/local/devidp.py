"""The local stack's dev identity provider: issues OIDC-shaped JWTs for seeded users.

Never part of a deployed stage: serverless.yml has no route for it, and only `sculptops serve`
mounts its routes (`routes`) beside the local gateway. Access tokens look like Keycloak's
(`typ` "Bearer", `aud` containing "account"); the ID token (`typ` "ID", `aud` the client) exists
so that its refusal can be shown. Two ways to a token: `POST /dev/oidc/token {"username"}` (the
CLI, the tests, the README), and the authorization-code flow with PKCE that the console uses
(`GET /dev/oidc/authorize`: a page listing the seeded users; `local/authorization_codes.py`).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sculptops.http.body import TOO_LARGE
from sculptops.http.input_rules import Refused, decode_query
from sculptops.local.apigateway import read_body
from sculptops.local.authorization_codes import (
    CLI_CLIENT_ID,
    CONSOLE_CLIENT_ID,
    AuthorizationCodes,
    AuthorizationRequest,
    InvalidGrant,
    InvalidRequest,
    SignInForms,
    parse_authorization_request,
    single_values,
)
from sculptops.local.signin_page import CSRF_FIELD, PAGE_TITLE, sign_in_page

CLIENT_ID = CLI_CLIENT_ID
__all__ = ["CLIENT_ID", "CONSOLE_CLIENT_ID", "PAGE_TITLE", "DevIdentityProvider", "routes"]
LIFETIME_SECONDS = 3600
# The console's own policy (http/console.py): no script at all, a form to this origin only.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_NO_STORE = {"Cache-Control": "no-store"}
# The page's form POSTs to this origin: `same-origin` (not the API's `no-referrer`, which makes
# a browser send `Origin: null` on every POST) lets the POST name its origin, so that `null`
# can be refused.
PAGE_REFERRER_POLICY = "same-origin"
TOKEN_PARAMETERS = ("grant_type", "code", "redirect_uri", "client_id", "code_verifier")


class DevIdentityProvider:
    def __init__(self, issuer: str, known_users: set[str]) -> None:
        self.issuer = issuer.rstrip("/")
        parts = urlsplit(self.issuer)
        # Where the provider, the console and every redirect URI it accepts live.
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._users = known_users
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.codes = AuthorizationCodes()
        self.forms = SignInForms()

    @property
    def users(self) -> list[str]:
        return sorted(self._users)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        public.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}

    def configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/jwks.json",
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile", "email"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def issue(
        self,
        username: str,
        lifetime: int = LIFETIME_SECONDS,
        client_id: str = CLIENT_ID,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """Access and ID tokens for a seeded user; KeyError for anyone else."""
        if username not in self._users:
            raise KeyError(username)
        now = int(time.time())
        common = {
            "iss": self.issuer,
            "sub": username,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "email": username,
            "preferred_username": username,
            "azp": client_id,
        }
        access = {
            **common,
            "typ": "Bearer",
            "aud": ["account", client_id],
            "jti": secrets.token_hex(8),
        }
        ident = {**common, "typ": "ID", "aud": client_id, "jti": secrets.token_hex(8)}
        if nonce is not None:
            ident["nonce"] = nonce
        headers = {"kid": self.kid}
        return {
            "access_token": jwt.encode(access, self._key, algorithm="RS256", headers=headers),
            "id_token": jwt.encode(ident, self._key, algorithm="RS256", headers=headers),
            "token_type": "Bearer",
            "expires_in": lifetime,
        }

    def sign_in(self, request: AuthorizationRequest, username: str) -> str:
        """Where the browser goes once `username` is picked: the redirect URI with a code."""
        if username not in self._users:
            raise InvalidRequest("username", "unknown user")
        code = self.codes.issue(request, username)
        query = urlencode({"code": code, "state": request.state})
        joiner = "&" if urlsplit(request.redirect_uri).query else "?"
        return f"{request.redirect_uri.rstrip('?&')}{joiner}{query}"

    def exchange(self, params: dict[str, str]) -> dict[str, Any]:
        """The token response for an authorization code (RFC 6749 §4.1.3 with RFC 7636)."""
        grant = self.codes.redeem(
            params.get("code", ""),
            params.get("client_id", ""),
            params.get("redirect_uri", ""),
            params.get("code_verifier", ""),
        )
        return self.issue(
            grant.username, client_id=grant.request.client_id, nonce=grant.request.nonce
        )


def _invalid(field: str, message: str, where: str) -> JSONResponse:
    """The API's shape for bad input (http/errors.py), as a 400: nothing echoed back."""
    return JSONResponse(
        {
            "message": f"Invalid request: {field}: {message}",
            "errors": [{"field": field, "in": where, "message": message}],
        },
        status_code=400,
        headers=_NO_STORE,
    )


def _oauth_error(error: str, description: str) -> JSONResponse:
    """RFC 6749 §5.2's error response."""
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=400, headers=_NO_STORE
    )


def routes(idp: DevIdentityProvider) -> list[BaseRoute]:
    """`/dev/oidc/...`: authorize, the token endpoint, the keys and the discovery document."""

    async def authorize_page(request: Request) -> Response:
        try:
            items = decode_query(request.scope.get("query_string", b""))
            vetted = parse_authorization_request(items, idp.origin)
        except Refused as exc:
            return _invalid(exc.field, exc.message, "query")
        except InvalidRequest as exc:
            return _invalid(exc.field, exc.message, "query")
        return HTMLResponse(
            sign_in_page(idp.users, vetted, idp.forms.issue(vetted)),
            headers={
                "Content-Security-Policy": PAGE_CSP,
                "Referrer-Policy": PAGE_REFERRER_POLICY,
                **_NO_STORE,
            },
        )

    async def authorize(request: Request) -> Response:
        raw = await read_body(request)
        if raw is None:
            return JSONResponse({"message": TOO_LARGE}, status_code=413)
        # A form another site posts here (login CSRF): browsers say where it comes from, in
        # Sec-Fetch-Site and in Origin. `null` (a sandboxed frame, a data: page, a
        # no-referrer page) is no origin of ours; the page itself sends its own (same-origin
        # referrer policy). The nonce of the page's form is the check that needs no header.
        site = request.headers.get("sec-fetch-site")
        sent_from = request.headers.get("origin")
        if (site is not None and site not in ("same-origin", "none")) or (
            sent_from is not None and sent_from != idp.origin
        ):
            return _invalid("origin", "the form must come from this origin", "header")
        try:
            items = decode_query(raw)
            vetted = parse_authorization_request(items, idp.origin)
            given = single_values(items, ["username", CSRF_FIELD])
            idp.forms.redeem(given.get(CSRF_FIELD, ""), vetted)
            location = idp.sign_in(vetted, given.get("username", ""))
        except Refused as exc:
            return _invalid(exc.field, exc.message, "body")
        except InvalidRequest as exc:
            return _invalid(exc.field, exc.message, "body")
        return RedirectResponse(location, status_code=302, headers=_NO_STORE)

    async def token(request: Request) -> Response:
        raw = await read_body(request)
        if raw is None:
            return JSONResponse({"message": TOO_LARGE}, status_code=413)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            return _code_grant(idp, raw)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return JSONResponse({"message": "the body is not valid JSON"}, status_code=400)
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username:
            return JSONResponse({"message": "username is required"}, status_code=422)
        try:
            return JSONResponse(idp.issue(username), headers=_NO_STORE)
        except KeyError:
            return JSONResponse({"message": f"unknown user {username}"}, status_code=404)

    async def jwks(_: Request) -> Response:
        return JSONResponse(idp.jwks())

    async def configuration(_: Request) -> Response:
        return JSONResponse(idp.configuration())

    return [
        Route("/dev/oidc/authorize", authorize_page, methods=["GET"]),
        Route("/dev/oidc/authorize", authorize, methods=["POST"]),
        Route("/dev/oidc/token", token, methods=["POST"]),
        Route("/dev/oidc/jwks.json", jwks, methods=["GET"]),
        Route("/dev/oidc/.well-known/openid-configuration", configuration, methods=["GET"]),
    ]


def _code_grant(idp: DevIdentityProvider, raw: bytes) -> Response:
    """`grant_type=authorization_code`: the code, its verifier, the same client and URI."""
    try:
        params = single_values(decode_query(raw), TOKEN_PARAMETERS)
    except Refused as exc:
        return _oauth_error("invalid_request", f"{exc.field}: {exc.message}")
    except InvalidRequest as exc:
        return _oauth_error("invalid_request", str(exc))
    grant_type = params.get("grant_type", "")
    if not grant_type:
        return _oauth_error("invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        return _oauth_error("unsupported_grant_type", "only authorization_code is supported")
    for name in TOKEN_PARAMETERS[1:]:
        if not params.get(name):
            return _oauth_error("invalid_request", f"{name} is required")
    try:
        tokens = idp.exchange(params)
    except InvalidGrant as exc:
        return _oauth_error("invalid_grant", str(exc))
    return JSONResponse(tokens, headers={**_NO_STORE, "Pragma": "no-cache"})
