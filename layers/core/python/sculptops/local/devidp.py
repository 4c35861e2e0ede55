"""The local stack's dev identity provider: issues OIDC-shaped JWTs for seeded users.

Never part of a deployed stage: serverless.yml has no route for it, and only `sculptops serve`
mounts its routes (`routes`) beside the local gateway. Access tokens look like Keycloak's
(`typ` "Bearer", `aud` containing "account"); the ID token (`typ` "ID", `aud` the client) exists
so that its refusal can be shown.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sculptops.http.body import TOO_LARGE
from sculptops.local.apigateway import read_body

CLIENT_ID = "sculptops-cli"
LIFETIME_SECONDS = 3600


class DevIdentityProvider:
    def __init__(self, issuer: str, known_users: set[str]) -> None:
        self.issuer = issuer.rstrip("/")
        self._users = known_users
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        public.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}

    def configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/jwks.json",
            "token_endpoint": f"{self.issuer}/token",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def issue(self, username: str, lifetime: int = LIFETIME_SECONDS) -> dict[str, Any]:
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
            "azp": CLIENT_ID,
        }
        access = {
            **common,
            "typ": "Bearer",
            "aud": ["account", CLIENT_ID],
            "jti": secrets.token_hex(8),
        }
        ident = {**common, "typ": "ID", "aud": CLIENT_ID, "jti": secrets.token_hex(8)}
        headers = {"kid": self.kid}
        return {
            "access_token": jwt.encode(access, self._key, algorithm="RS256", headers=headers),
            "id_token": jwt.encode(ident, self._key, algorithm="RS256", headers=headers),
            "token_type": "Bearer",
            "expires_in": lifetime,
        }


def routes(idp: DevIdentityProvider) -> list[BaseRoute]:
    """`/dev/oidc/...`: the token endpoint, the keys and the discovery document."""

    async def token(request: Request) -> Response:
        raw = await read_body(request)
        if raw is None:
            return JSONResponse({"message": TOO_LARGE}, status_code=413)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return JSONResponse({"message": "the body is not valid JSON"}, status_code=400)
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username:
            return JSONResponse({"message": "username is required"}, status_code=422)
        try:
            return JSONResponse(idp.issue(username))
        except KeyError:
            return JSONResponse({"message": f"unknown user {username}"}, status_code=404)

    async def jwks(_: Request) -> Response:
        return JSONResponse(idp.jwks())

    async def configuration(_: Request) -> Response:
        return JSONResponse(idp.configuration())

    return [
        Route("/dev/oidc/token", token, methods=["POST"]),
        Route("/dev/oidc/jwks.json", jwks, methods=["GET"]),
        Route("/dev/oidc/.well-known/openid-configuration", configuration, methods=["GET"]),
    ]
