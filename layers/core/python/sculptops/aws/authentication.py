"""The authorizer's own composition: only what a token check needs, nothing of the route
functions (bootstrap.build wires those).

- the token and identity stores on botocore's client directly (adapters.dynamodb.auth_reads),
  the client created at init; pynamodb only if reuse detection has to revoke (first use);
- JWT verification (PyJWT, cryptography) imported on the first JWT, not at init;
- no executions, catalog, governance-service or web-stack module.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

from sculptops.adapters.clock import SystemClock
from sculptops.adapters.dynamodb.auth_reads import AuthReads
from sculptops.adapters.dynamodb.auth_stores import (
    AuthIdentityStore,
    AuthTokenStore,
    LazyLedger,
    PynamoStores,
)
from sculptops.domain.token_format import TokenHasher
from sculptops.services.auth import AuthConfig, Authenticator
from sculptops.settings import Settings

if TYPE_CHECKING:
    from sculptops.ports import AccessTokenVerifier, Clock, TokenLedger


class LazyJwtVerifier:
    """The OIDC verifier (adapters.oidc: PyJWT and cryptography), imported and built on the
    first JWT; one instance per container after that (its JWKS cache with it)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._verifier: AccessTokenVerifier | None = None
        self._lock = threading.Lock()

    def verify(self, jwt: str) -> dict[str, Any]:
        verifier = self._verifier
        if verifier is None:
            with self._lock:
                if self._verifier is None:
                    from sculptops.adapters.oidc import JwksAccessTokenVerifier

                    s = self._settings
                    assert s.oidc_issuer is not None
                    self._verifier = JwksAccessTokenVerifier(
                        issuer=s.oidc_issuer,
                        audience=s.oidc_audience,
                        jwks_url=s.oidc_jwks_url,
                        leeway_seconds=s.oidc_leeway_seconds,
                    )
                verifier = self._verifier
        return verifier.verify(jwt)


def authenticator_for(
    settings: Settings,
    jwt_verifier: AccessTokenVerifier | None = None,
    clock: Clock | None = None,
) -> Authenticator:
    """The authorizer's Authenticator on DynamoDB, its client created now (init phase).
    `jwt_verifier`, `clock`: others than the settings' provider and the system clock (tests)."""
    hasher = TokenHasher(settings.token_pepper)
    reads = AuthReads(settings, hasher)
    full = PynamoStores(settings)
    tokens = AuthTokenStore(reads, full.tokens)
    identities = AuthIdentityStore(reads, full.identities)
    authenticator = Authenticator(
        config=AuthConfig.of(
            settings.token_prefix, settings.agent_token_prefix, settings.token_pepper
        ),
        tokens=tokens,
        identities=identities,
        hasher=hasher,
        clock=clock or SystemClock(),
        jwt_verifier=jwt_verifier or (LazyJwtVerifier(settings) if settings.oidc_issuer else None),
        ledger=cast("TokenLedger", LazyLedger(full.ledger)),
        reads=reads,
    )
    reads.warm()
    return authenticator


def authorizer_authenticator() -> Authenticator:
    """From the environment, with logging configured (redaction included), as `container()`."""
    settings = Settings.from_env()
    from sculptops import observability

    observability.configure(settings.log_level)
    return authenticator_for(settings)
