"""Ports: what the core needs from the outside world, as Protocols.

Adapters (DynamoDB through pynamodb, the OIDC provider over HTTPS) implement them; tests pass
in-memory fakes of the same Protocols.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: the authorizer imports this module on its cold start
    from sculptops.domain.agents import Agent
    from sculptops.domain.catalog import Inventory, Playbook
    from sculptops.domain.executions import Execution, ExecutionPage, Status
    from sculptops.domain.idempotency import IdempotentRecord
    from sculptops.domain.identity import Tenant, User
    from sculptops.domain.logs import LogLine, LogPage
    from sculptops.domain.tokens import StoredToken, TokenPage


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class TokenStore(Protocol):
    def get(self, digest: str) -> StoredToken | None:
        """Strongly consistent read by digest on the primary key."""
        ...

    def put(self, token: StoredToken) -> None:
        """Store a new token; fails if the digest exists."""
        ...

    def list_for_owner(self, owner: str, cursor: str | None, limit: int) -> TokenPage:
        """The owner's tokens, newest first."""
        ...

    def find(self, owner: str, token_id: str) -> StoredToken | None:
        """One of the owner's tokens by id."""
        ...

    def delete(self, token: StoredToken) -> bool:
        """Delete one token; False when it was already gone."""
        ...

    def delete_many(self, tokens: Iterable[StoredToken]) -> int:
        """Delete tokens in batches; returns how many were deleted."""
        ...

    def touch(self, digest: str, when: datetime) -> None:
        """Record last use, only if the token still exists."""
        ...


class IdentityStore(Protocol):
    def get_user(self, user_id: str) -> User | None:
        """Strongly consistent read of a user with their memberships."""
        ...

    def put_user(self, user: User) -> None: ...

    def get_tenant(self, slug: str) -> Tenant | None: ...

    def put_tenant(self, tenant: Tenant) -> None: ...

    def revoke_tokens_before(self, user_id: str, when: datetime) -> None:
        """Move the user's revocation watermark forward (never back)."""
        ...


class AccessTokenVerifier(Protocol):
    def verify(self, jwt: str) -> dict[str, Any]:
        """Verified claims of an OIDC access token; NotAuthenticated otherwise."""
        ...


# ---- catalog, executions, logs, agents, idempotency ----


class CatalogStore(Protocol):
    def put_playbook(self, playbook: Playbook) -> None: ...

    def get_playbook(self, tenant: str, playbook_id: str) -> Playbook | None: ...

    def list_playbooks(self, tenant: str) -> list[Playbook]: ...

    def delete_playbook(self, tenant: str, playbook_id: str) -> bool: ...

    def put_inventory(self, inventory: Inventory) -> None: ...

    def get_inventory(self, tenant: str, inventory_id: str) -> Inventory | None: ...

    def list_inventories(self, tenant: str) -> list[Inventory]: ...

    def delete_inventory(self, tenant: str, inventory_id: str) -> bool: ...


class ExecutionStore(Protocol):
    def create(self, execution: Execution) -> None: ...

    def get(self, tenant: str, execution_id: str) -> Execution | None:
        """Strongly consistent read of the execution's current state."""
        ...

    def list_for_tenant(
        self,
        tenant: str,
        status: Status | None,
        playbook_id: str | None,
        cursor: str | None,
        limit: int,
    ) -> ExecutionPage:
        """Newest first."""
        ...

    def claim_next(
        self, tenant: str, agent_id: str, now: datetime, lease_until: datetime
    ) -> Execution | None:
        """queued -> running for the oldest queued run, by one conditional write."""
        ...

    def heartbeat(
        self, tenant: str, execution_id: str, agent_id: str, lease_until: datetime
    ) -> Execution:
        """Extend the lease of a running execution held by this agent; Conflict otherwise."""
        ...

    def finish(
        self,
        tenant: str,
        execution_id: str,
        agent_id: str,
        status: Status,
        exit_code: int,
        now: datetime,
    ) -> Execution:
        """running -> terminal, once; Conflict if it is not running for this agent."""
        ...

    def cancel(self, tenant: str, execution_id: str, now: datetime) -> Execution:
        """queued -> cancelled at once; running -> cancel requested; Conflict if terminal."""
        ...

    def expired_leases(self, now: datetime, limit: int) -> list[Execution]: ...

    def fail_expired(self, execution: Execution, now: datetime, message: str) -> bool:
        """running -> failed if its lease is still expired, with one log line saying why."""
        ...

    def append_logs(
        self, tenant: str, execution_id: str, agent_id: str, first_seq: int, lines: list[LogLine]
    ) -> int:
        """Store a batch of lines (idempotent on resend); returns the next expected seq."""
        ...

    def read_logs(self, tenant: str, execution_id: str, after: int, limit: int) -> LogPage:
        """Lines with seq > after (at most limit) and the execution, in as few reads as can be."""
        ...

    def delete(self, tenant: str, execution_id: str) -> bool:
        """Delete a run that is neither queued nor running, and its log chunks; False when
        it is gone already; Conflict when it is queued or running."""
        ...


class AgentStore(Protocol):
    def put_agent(self, agent: Agent) -> None: ...

    def get_agent(self, tenant: str, agent_id: str) -> Agent | None: ...

    def list_agents(self, tenant: str) -> list[Agent]: ...

    def delete_agent(self, tenant: str, agent_id: str) -> bool: ...

    def seen(
        self, tenant: str, agent_id: str, when: datetime, execution_id: str | None
    ) -> None: ...


class IdempotencyStore(Protocol):
    def begin(
        self, key: str, fingerprint: str, now: datetime, expires: datetime
    ) -> IdempotentRecord | None:
        """Claim the key; None when claimed now, else the record that holds it."""
        ...

    def complete(self, key: str, status: int, body: str) -> None: ...

    def release(self, key: str) -> None:
        """Forget an in-flight key whose request failed, so that a retry may run."""
        ...
