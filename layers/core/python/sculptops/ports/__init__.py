"""Ports: what the core needs from the outside world, as Protocols.

Adapters (DynamoDB through pynamodb, the OIDC provider over HTTPS) implement them; tests pass
in-memory fakes of the same Protocols (tests/fakes.py). One module per area; every Protocol is
re-exported here, so `from sculptops.ports import X` is the way to name one.
"""

from sculptops.ports.governance import (
    AuditLog,
    MemberStore,
    NotificationStore,
    PolicyStore,
    TokenLedger,
)
from sculptops.ports.identity import (
    AccessTokenVerifier,
    Clock,
    CredentialReader,
    IdentityStore,
    TokenStore,
)
from sculptops.ports.notices import EventPublisher, LeakDispatcher, TokenLookup
from sculptops.ports.runs import (
    AgentStore,
    CatalogStore,
    ExecutionStore,
    IdempotencyStore,
    LogStore,
)

__all__ = [
    "AccessTokenVerifier",
    "AgentStore",
    "AuditLog",
    "CatalogStore",
    "Clock",
    "CredentialReader",
    "EventPublisher",
    "ExecutionStore",
    "IdempotencyStore",
    "IdentityStore",
    "LeakDispatcher",
    "LogStore",
    "MemberStore",
    "NotificationStore",
    "PolicyStore",
    "TokenLedger",
    "TokenLookup",
    "TokenStore",
]
