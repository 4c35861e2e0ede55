"""OIDC access-token verification with PyJWT against the provider's JWKS (cached).

The JWKS is fetched once per container, refreshed when a token names an unknown `kid` (at most
once per REFRESH_MIN_INTERVAL, so random kids cannot make us hammer the provider).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt
from jwt import PyJWK

from sculptops.domain.errors import NotAuthenticated, Unavailable
from sculptops.settings import is_provider_url

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
REFRESH_MIN_INTERVAL = 30.0
Fetch = Callable[[str], dict[str, Any]]


def http_fetch_json(url: str, timeout: float = 3.0) -> dict[str, Any]:
    """GET a JSON document; any failure is Unavailable (the caller is denied, never allowed)."""
    if not is_provider_url(url):
        raise Unavailable("identity provider URL must be https")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - scheme checked
            data = json.loads(resp.read(1_000_000))
    except Exception as exc:
        raise Unavailable("identity provider unreachable") from exc
    if not isinstance(data, dict):
        raise Unavailable("identity provider answered with no JSON object")
    return data


class JwksAccessTokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        leeway_seconds: int = 30,
        fetch: Fetch = http_fetch_json,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._jwks_url = jwks_url
        self._leeway = leeway_seconds
        self._fetch = fetch
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _discover_jwks_url(self) -> str:
        if self._jwks_url is None:
            config = self._fetch(f"{self._issuer}/.well-known/openid-configuration")
            uri = config.get("jwks_uri")
            if not isinstance(uri, str):
                raise Unavailable("identity provider configuration has no jwks_uri")
            self._jwks_url = uri
        return self._jwks_url

    def _refresh(self) -> None:
        jwks = self._fetch(self._discover_jwks_url())
        keys: dict[str, PyJWK] = {}
        for raw in jwks.get("keys", []):
            if not isinstance(raw, dict) or raw.get("use", "sig") != "sig" or "kid" not in raw:
                continue
            try:
                keys[str(raw["kid"])] = PyJWK(raw)
            except jwt.PyJWTError:
                log.warning("skipping a JWKS key that PyJWT cannot use")
        self._keys = keys
        self._fetched_at = time.monotonic()

    def _key(self, kid: str) -> PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            key = self._keys.get(kid)
            stale = time.monotonic() - self._fetched_at >= REFRESH_MIN_INTERVAL
            if key is None and (not self._keys or stale):
                self._refresh()
                key = self._keys.get(kid)
        if key is None:
            raise NotAuthenticated("unknown-kid")
        return key

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a valid access token; NotAuthenticated for anything else."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise NotAuthenticated("malformed-jwt") from None
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") not in ALGORITHMS:
            raise NotAuthenticated("bad-jwt-header")
        key = self._key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[header["alg"]],
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.PyJWTError:
            raise NotAuthenticated("invalid-jwt") from None
        # Access tokens only: an ID token (typ "ID", aud = the client) is refused.
        if claims.get("typ") != "Bearer":
            raise NotAuthenticated("not-an-access-token")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if self._audience not in audiences:
            raise NotAuthenticated("wrong-audience")
        return claims
