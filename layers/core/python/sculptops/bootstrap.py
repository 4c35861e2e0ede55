"""The composition root: builds the real adapters from settings, once per container.

Tests call `build(...)` with fakes of the same ports instead (`tests/fakes.py`), all of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sculptops.adapters.dynamodb.stores import Stores, dynamodb_stores
from sculptops.adapters.outbound import event_publisher_for, leak_dispatcher_for
from sculptops.domain.token_format import TokenHasher
from sculptops.ports import (
    AccessTokenVerifier,
    AgentStore,
    AuditLog,
    CatalogStore,
    Clock,
    EventPublisher,
    ExecutionStore,
    IdempotencyStore,
    IdentityStore,
    LeakDispatcher,
    LogStore,
    MemberStore,
    NotificationStore,
    PolicyStore,
    TokenLedger,
    TokenLookup,
    TokenStore,
)
from sculptops.services.auth import AuthConfig, Authenticator
from sculptops.services.identity import IdentityService
from sculptops.services.tokens import TokenService

if TYPE_CHECKING:
    from sculptops.services.admin_tokens import AdminTokenService
    from sculptops.services.agents import AgentService
    from sculptops.services.audit import AuditService
    from sculptops.services.catalog import CatalogService
    from sculptops.services.executions import ExecutionService
    from sculptops.services.idempotency import IdempotencyService
    from sculptops.services.leaks import LeakedTokenService, LeakIntake
    from sculptops.services.members import MemberService
    from sculptops.services.notices import ExpiryNoticeService
    from sculptops.services.notifications import NotificationService
    from sculptops.services.token_policy import TokenPolicyService
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
    # governance (issue 13): its stores, then its services
    members: MemberStore
    policy_store: PolicyStore
    token_ledger: TokenLedger
    audit_log: AuditLog
    notification_store: NotificationStore
    membership: MemberService
    token_policy: TokenPolicyService
    admin_tokens: AdminTokenService
    audit: AuditService
    notifications: NotificationService
    # the token lifecycle's outward side (issue 14): expiry notices, leaked-token revocation
    token_lookup: TokenLookup
    events: EventPublisher
    expiry_notices: ExpiryNoticeService
    leaks: LeakedTokenService
    # The public route's request path: hashes and hands the digests to `leak_dispatcher`.
    leak_intake: LeakIntake
    leak_dispatcher: LeakDispatcher

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
    log_store: LogStore | None = None,
    agent_store: AgentStore | None = None,
    idempotency_store: IdempotencyStore | None = None,
    members: MemberStore | None = None,
    policy_store: PolicyStore | None = None,
    token_ledger: TokenLedger | None = None,
    audit_log: AuditLog | None = None,
    notification_store: NotificationStore | None = None,
    token_lookup: TokenLookup | None = None,
    clock: Clock | None = None,
    jwt_verifier: AccessTokenVerifier | None = None,
    event_publisher: EventPublisher | None = None,
    leak_dispatcher: LeakDispatcher | None = None,
) -> Container:
    """Wire services to adapters: every store given (fakes), or none (the real DynamoDB ones).

    A mix would let a test run half on fakes and half on real tables without saying so: giving
    some stores but not all raises TypeError naming the missing ones. `clock` and
    `jwt_verifier` are not stores and stay optional either way: the system clock, and the OIDC
    verifier when the settings name an issuer (without one, JWTs are refused).
    """
    given: dict[str, Any] = {
        "token_store": token_store,
        "identity_store": identity_store,
        "catalog_store": catalog_store,
        "execution_store": execution_store,
        "log_store": log_store,
        "agent_store": agent_store,
        "idempotency_store": idempotency_store,
        "members": members,
        "policy_store": policy_store,
        "token_ledger": token_ledger,
        "audit_log": audit_log,
        "notification_store": notification_store,
        "token_lookup": token_lookup,
    }
    assert set(given) == {f.name for f in fields(Stores)}
    missing = [name for name, store in given.items() if store is None]
    if missing and len(missing) < len(given):
        raise TypeError("build() takes every store or none; missing: " + ", ".join(missing))
    stores = dynamodb_stores(settings) if missing else Stores(**given)
    token_store, identity_store = stores.token_store, stores.identity_store
    catalog_store, execution_store = stores.catalog_store, stores.execution_store
    if event_publisher is None:
        # Fakes never reach AWS: a container of fakes logs its events.
        event_publisher = event_publisher_for(settings if missing else None)
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
    from sculptops.domain.leak_batches import LeakBatch
    from sculptops.services.admin_tokens import AdminTokenService
    from sculptops.services.agents import AgentService
    from sculptops.services.audit import AuditService
    from sculptops.services.catalog import CatalogService
    from sculptops.services.executions import ExecutionService
    from sculptops.services.idempotency import IdempotencyService
    from sculptops.services.leaks import LeakedTokenService, LeakIntake
    from sculptops.services.members import MemberService
    from sculptops.services.notices import ExpiryNoticeService
    from sculptops.services.notifications import NotificationService
    from sculptops.services.token_policy import TokenPolicyService

    hasher = TokenHasher(settings.token_pepper)
    leaks = LeakedTokenService(
        lookup=stores.token_lookup,
        tokens=token_store,
        ledger=stores.token_ledger,
        identities=identity_store,
        events=event_publisher,
        hasher=hasher,
        clock=clock,
        token_prefix=settings.token_prefix,
        agent_prefix=settings.agent_token_prefix,
    )
    if leak_dispatcher is None:
        # Fakes never reach AWS: a container of fakes revokes in a background thread.
        leak_dispatcher = leak_dispatcher_for(
            settings,
            lambda event: leaks.revoke_batch(LeakBatch.from_payload(event)),
            real=bool(missing),
        )
    authenticator = Authenticator(
        config=AuthConfig.of(
            settings.token_prefix, settings.agent_token_prefix, settings.token_pepper
        ),
        tokens=token_store,
        identities=identity_store,
        hasher=hasher,
        clock=clock,
        jwt_verifier=jwt_verifier,
        # Reuse detection revokes a rotation family with its audit event and notice.
        ledger=stores.token_ledger,
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
            ledger=stores.token_ledger,
            audit_log=stores.audit_log,
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
        members=stores.members,
        policy_store=stores.policy_store,
        token_ledger=stores.token_ledger,
        audit_log=stores.audit_log,
        notification_store=stores.notification_store,
        membership=MemberService(
            members=stores.members,
            ledger=stores.token_ledger,
            tokens=token_store,
            identities=identity_store,
            clock=clock,
        ),
        token_policy=TokenPolicyService(
            policies=stores.policy_store,
            ledger=stores.token_ledger,
            audit_log=stores.audit_log,
            identities=identity_store,
            clock=clock,
        ),
        admin_tokens=AdminTokenService(
            ledger=stores.token_ledger,
            members=stores.members,
            tokens=token_store,
            identities=identity_store,
            clock=clock,
        ),
        audit=AuditService(audit_log=stores.audit_log),
        notifications=NotificationService(notifications=stores.notification_store),
        token_lookup=stores.token_lookup,
        events=event_publisher,
        expiry_notices=ExpiryNoticeService(
            lookup=stores.token_lookup,
            notifications=stores.notification_store,
            events=event_publisher,
            clock=clock,
        ),
        leaks=leaks,
        leak_intake=LeakIntake(
            dispatcher=leak_dispatcher,
            hasher=hasher,
            token_prefix=settings.token_prefix,
            agent_prefix=settings.agent_token_prefix,
        ),
        leak_dispatcher=leak_dispatcher,
    )


@functools.cache
def container() -> Container:
    """The process-wide container, built on first use (cold start) from the environment."""
    settings = Settings.from_env()
    from sculptops import observability

    observability.configure(settings.log_level)
    return build(settings)
