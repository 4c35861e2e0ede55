"""Every store the services use, as one record: all real ones on DynamoDB (`dynamodb_stores`),
or all fakes (tests). `bootstrap.build` takes them all or none.

Only this record's type is imported at cold start; the adapters and pynamodb are imported when
the real stores are built.
"""

from __future__ import annotations

from dataclasses import dataclass

from sculptops.ports import (
    AgentStore,
    AuditLog,
    CatalogStore,
    ExecutionStore,
    IdempotencyStore,
    IdentityStore,
    LogStore,
    MemberStore,
    NotificationStore,
    PolicyStore,
    TokenLedger,
    TokenLookup,
    TokenStore,
)
from sculptops.settings import Settings


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
    members: MemberStore
    policy_store: PolicyStore
    token_ledger: TokenLedger
    audit_log: AuditLog
    notification_store: NotificationStore
    token_lookup: TokenLookup


def dynamodb_stores(settings: Settings) -> Stores:
    """The real stores, on the tables the settings name."""
    from sculptops.adapters.dynamodb.agents import DynamoAgentStore
    from sculptops.adapters.dynamodb.audit import DynamoAuditLog
    from sculptops.adapters.dynamodb.catalog import DynamoCatalogStore
    from sculptops.adapters.dynamodb.executions import DynamoExecutionStore
    from sculptops.adapters.dynamodb.idempotency import DynamoIdempotencyStore
    from sculptops.adapters.dynamodb.identity import DynamoIdentityStore
    from sculptops.adapters.dynamodb.logs import DynamoLogStore
    from sculptops.adapters.dynamodb.members import DynamoMemberStore, DynamoPolicyStore
    from sculptops.adapters.dynamodb.models import build_connection, build_models
    from sculptops.adapters.dynamodb.notifications import DynamoNotificationStore
    from sculptops.adapters.dynamodb.token_ledger import DynamoTokenLedger
    from sculptops.adapters.dynamodb.token_lookups import DynamoTokenLookup
    from sculptops.adapters.dynamodb.tokens import DynamoTokenStore
    from sculptops.domain.token_format import TokenHasher

    models = build_models(settings)
    connection = build_connection(settings)
    retention = settings.audit_retention_days
    keys = TokenHasher(settings.token_pepper)  # users are keyed by owner key
    return Stores(
        token_store=DynamoTokenStore(models.Token),
        identity_store=DynamoIdentityStore(models.Identity, keys),
        catalog_store=DynamoCatalogStore(models.Catalog),
        execution_store=DynamoExecutionStore(models.Execution, connection),
        log_store=DynamoLogStore(models.Execution, connection),
        agent_store=DynamoAgentStore(models.Identity),
        idempotency_store=DynamoIdempotencyStore(models.Idempotency),
        members=DynamoMemberStore(models.Identity, connection, retention, keys),
        policy_store=DynamoPolicyStore(models.Identity, connection, retention),
        token_ledger=DynamoTokenLedger(models.Identity, models.Token, connection, retention, keys),
        audit_log=DynamoAuditLog(models.Identity, retention),
        notification_store=DynamoNotificationStore(models.Identity, connection, retention),
        token_lookup=DynamoTokenLookup(models.Token),
    )
