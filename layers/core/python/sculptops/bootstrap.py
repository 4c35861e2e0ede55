"""The composition root: builds the real adapters from settings, once per container.

Tests call `build(...)` with fakes of the same ports instead (`tests/fakes.py`), all of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, TypeVar

from sculptops.domain import stream_ticket
from sculptops.domain.token_format import TokenHasher
from sculptops.ports import (
    AccessTokenVerifier,
    AgentStore,
    CatalogStore,
    Clock,
    ExecutionStore,
    GovernanceStore,
    IdempotencyStore,
    IdentityStore,
    LogStore,
    TokenStore,
)
from sculptops.services.auth import AuthConfig, Authenticator
from sculptops.services.identity import IdentityService
from sculptops.services.tokens import TokenService

if TYPE_CHECKING:
    from sculptops.services.agents import AgentService
    from sculptops.services.catalog import CatalogService
    from sculptops.services.executions import ExecutionService
    from sculptops.services.governance import GovernanceService
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
    log_store: LogStore
    # None only in a container of fakes built without a governance store (no audit log then).
    governance: GovernanceService | None = None

    def warm_authentication(self) -> None:
        """Create the clients the authorizer's reads use, during the function's init phase
        (fully powered, once per container) rather than on its first request."""
        for store in (self.token_store, self.identity_store):
            warm = getattr(store, "warm", None)
            if callable(warm):
                warm()


@dataclass(frozen=True)
class Stores:
    """Every store the services use: all fakes (tests) or all real (`dynamodb_stores`)."""

    token_store: TokenStore
    identity_store: IdentityStore
    catalog_store: CatalogStore
    execution_store: ExecutionStore
    log_store: LogStore
    agent_store: AgentStore
    idempotency_store: IdempotencyStore


def dynamodb_stores(settings: Settings) -> Stores:
    """The real stores, on the tables the settings name."""
    from sculptops.adapters.dynamodb.agents import DynamoAgentStore
    from sculptops.adapters.dynamodb.catalog import DynamoCatalogStore
    from sculptops.adapters.dynamodb.executions import DynamoExecutionStore
    from sculptops.adapters.dynamodb.idempotency import DynamoIdempotencyStore
    from sculptops.adapters.dynamodb.identity import DynamoIdentityStore
    from sculptops.adapters.dynamodb.logs import DynamoLogStore
    from sculptops.adapters.dynamodb.models import build_connection, build_models
    from sculptops.adapters.dynamodb.tokens import DynamoTokenStore

    models = build_models(settings)
    connection = build_connection(settings)
    return Stores(
        token_store=DynamoTokenStore(models.Token),
        identity_store=DynamoIdentityStore(models.Identity),
        catalog_store=DynamoCatalogStore(models.Catalog),
        execution_store=DynamoExecutionStore(models.Execution, connection),
        log_store=DynamoLogStore(models.Execution, connection),
        agent_store=DynamoAgentStore(models.Identity),
        idempotency_store=DynamoIdempotencyStore(models.Idempotency),
    )


_T = TypeVar("_T")


def _given(store: _T | None) -> _T:
    assert store is not None
    return store


def build(
    settings: Settings,
    *,
    token_store: TokenStore | None = None,
    identity_store: IdentityStore | None = None,
    catalog_store: CatalogStore | None = None,
    execution_store: ExecutionStore | None = None,
    log_store: LogStore | None = None,
    agent_store: AgentStore | None = None,
    idempotency_store: IdempotencyStore | None = None,
    clock: Clock | None = None,
    jwt_verifier: AccessTokenVerifier | None = None,
    governance_store: GovernanceStore | None = None,
) -> Container:
    """Wire services to adapters: every store given (fakes), or none (the real DynamoDB ones).

    A mix would let a test run half on fakes and half on real tables without saying so: giving
    some stores but not all raises TypeError naming the missing ones. `clock` and
    `jwt_verifier` are not stores and stay optional either way: the system clock, and the OIDC
    verifier when the settings name an issuer (without one, JWTs are refused).
    """
    given = {
        "token_store": token_store,
        "identity_store": identity_store,
        "catalog_store": catalog_store,
        "execution_store": execution_store,
        "log_store": log_store,
        "agent_store": agent_store,
        "idempotency_store": idempotency_store,
    }
    assert set(given) == {f.name for f in fields(Stores)}
    missing = [name for name, store in given.items() if store is None]
    if missing and len(missing) < len(given):
        raise TypeError("build() takes every store or none; missing: " + ", ".join(missing))
    stores = (
        dynamodb_stores(settings)
        if missing
        else Stores(
            token_store=_given(token_store),
            identity_store=_given(identity_store),
            catalog_store=_given(catalog_store),
            execution_store=_given(execution_store),
            log_store=_given(log_store),
            agent_store=_given(agent_store),
            idempotency_store=_given(idempotency_store),
        )
    )
    token_store, identity_store = stores.token_store, stores.identity_store
    if governance_store is None and missing:
        governance_store = _dynamodb_governance(settings)
    catalog_store, execution_store = stores.catalog_store, stores.execution_store
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
    from sculptops.services.governance import GovernanceService
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
            governance=governance_store,
        ),
        identity=IdentityService(identities=identity_store),
        catalog=CatalogService(catalog=catalog_store, clock=clock),
        executions=ExecutionService(
            executions=execution_store, logs=stores.log_store, catalog=catalog_store, clock=clock
        ),
        agents=AgentService(
            agents=stores.agent_store,
            tokens=token_store,
            executions=execution_store,
            logs=stores.log_store,
            catalog=catalog_store,
            hasher=hasher,
            clock=clock,
            prefix=settings.agent_token_prefix,
        ),
        idempotency=IdempotencyService(store=stores.idempotency_store, clock=clock),
        catalog_store=catalog_store,
        execution_store=execution_store,
        log_store=stores.log_store,
        governance=(
            GovernanceService(
                store=governance_store, tokens=token_store, identities=identity_store, clock=clock
            )
            if governance_store is not None
            else None
        ),
    )


def _dynamodb_governance(settings: Settings) -> GovernanceStore:
    from sculptops.adapters.dynamodb.governance import DynamoGovernanceStore
    from sculptops.adapters.dynamodb.models import build_connection, build_models

    models = build_models(settings)
    return DynamoGovernanceStore(
        models.Identity, models.Token, build_connection(settings), settings.audit_retention_days
    )


@functools.cache
def container() -> Container:
    """The process-wide container, built on first use (cold start) from the environment."""
    settings = Settings.from_env()
    from sculptops import observability

    observability.configure(settings.log_level)
    return build(settings)
