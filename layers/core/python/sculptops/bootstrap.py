"""The composition root: builds the real adapters from settings, once per container.

Tests call `build(...)` with fakes of the same ports instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sculptops.domain import stream_ticket
from sculptops.domain.token_format import TokenHasher
from sculptops.ports import (
    AccessTokenVerifier,
    AgentStore,
    CatalogStore,
    Clock,
    ExecutionStore,
    IdempotencyStore,
    IdentityStore,
    TokenStore,
)
from sculptops.services.auth import AuthConfig, Authenticator
from sculptops.services.identity import IdentityService
from sculptops.services.tokens import TokenService

if TYPE_CHECKING:
    from sculptops.services.agents import AgentService
    from sculptops.services.catalog import CatalogService
    from sculptops.services.executions import ExecutionService
    from sculptops.services.idempotency import IdempotencyService
from sculptops.settings import Settings


@dataclass(frozen=True)
class Container:
    settings: Settings
    clock: Clock
    token_store: TokenStore
    identity_store: IdentityStore
    authenticator: Authenticator
    tokens: TokenService
    identity: IdentityService
    catalog: CatalogService
    executions: ExecutionService
    agents: AgentService
    idempotency: IdempotencyService
    catalog_store: CatalogStore
    execution_store: ExecutionStore

    def warm_authentication(self) -> None:
        """Create the clients the authorizer's reads use, during the function's init phase
        (fully powered, once per container) rather than on its first request."""
        for store in (self.token_store, self.identity_store):
            warm = getattr(store, "warm", None)
            if callable(warm):
                warm()


def build(
    settings: Settings,
    *,
    token_store: TokenStore | None = None,
    identity_store: IdentityStore | None = None,
    catalog_store: CatalogStore | None = None,
    execution_store: ExecutionStore | None = None,
    agent_store: AgentStore | None = None,
    idempotency_store: IdempotencyStore | None = None,
    clock: Clock | None = None,
    jwt_verifier: AccessTokenVerifier | None = None,
) -> Container:
    """Wire services to adapters; any adapter not given is the real DynamoDB/OIDC one."""
    if None in (
        token_store,
        identity_store,
        catalog_store,
        execution_store,
        agent_store,
        idempotency_store,
    ):
        from sculptops.adapters.dynamodb.agents import DynamoAgentStore
        from sculptops.adapters.dynamodb.catalog import DynamoCatalogStore
        from sculptops.adapters.dynamodb.executions import DynamoExecutionStore
        from sculptops.adapters.dynamodb.idempotency import DynamoIdempotencyStore
        from sculptops.adapters.dynamodb.identity import DynamoIdentityStore
        from sculptops.adapters.dynamodb.models import build_connection, build_models
        from sculptops.adapters.dynamodb.tokens import DynamoTokenStore

        models = build_models(settings)
        token_store = token_store or DynamoTokenStore(models.Token)
        identity_store = identity_store or DynamoIdentityStore(models.Identity)
        catalog_store = catalog_store or DynamoCatalogStore(models.Catalog)
        execution_store = execution_store or DynamoExecutionStore(
            models.Execution, build_connection(settings)
        )
        agent_store = agent_store or DynamoAgentStore(models.Identity)
        idempotency_store = idempotency_store or DynamoIdempotencyStore(models.Idempotency)
    assert token_store and identity_store and catalog_store and execution_store
    assert agent_store and idempotency_store
    if clock is None:
        from sculptops.adapters.clock import SystemClock

        clock = SystemClock()
    if jwt_verifier is None and settings.oidc_issuer:
        from sculptops.adapters.oidc import JwksAccessTokenVerifier

        jwt_verifier = JwksAccessTokenVerifier(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            jwks_url=settings.oidc_jwks_url,
            leeway_seconds=settings.oidc_leeway_seconds,
        )
    # Imported here rather than at the top: the authorizer imports this module on its cold start
    # and uses none of these.
    from sculptops.services.agents import AgentService
    from sculptops.services.catalog import CatalogService
    from sculptops.services.executions import ExecutionService
    from sculptops.services.idempotency import IdempotencyService

    hasher = TokenHasher(settings.token_pepper)
    authenticator = Authenticator(
        config=AuthConfig(
            token_prefix=settings.token_prefix,
            agent_prefix=settings.agent_token_prefix,
            stream_ticket_key=(
                stream_ticket.derive_key(settings.token_pepper) if settings.token_pepper else None
            ),
        ),
        tokens=token_store,
        identities=identity_store,
        hasher=hasher,
        clock=clock,
        jwt_verifier=jwt_verifier,
    )
    return Container(
        settings=settings,
        clock=clock,
        token_store=token_store,
        identity_store=identity_store,
        authenticator=authenticator,
        tokens=TokenService(
            tokens=token_store,
            identities=identity_store,
            hasher=hasher,
            clock=clock,
            prefix=settings.token_prefix,
        ),
        identity=IdentityService(identities=identity_store),
        catalog=CatalogService(catalog=catalog_store, clock=clock),
        executions=ExecutionService(executions=execution_store, catalog=catalog_store, clock=clock),
        agents=AgentService(
            agents=agent_store,
            tokens=token_store,
            executions=execution_store,
            catalog=catalog_store,
            hasher=hasher,
            clock=clock,
            prefix=settings.agent_token_prefix,
        ),
        idempotency=IdempotencyService(store=idempotency_store, clock=clock),
        catalog_store=catalog_store,
        execution_store=execution_store,
    )


@functools.cache
def container() -> Container:
    """The process-wide container, built on first use (cold start) from the environment."""
    settings = Settings.from_env()
    from sculptops import observability

    observability.configure(settings.log_level)
    return build(settings)
