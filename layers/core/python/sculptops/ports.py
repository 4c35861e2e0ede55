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
    """A run's state. Every transition is one conditional write, taken only from the statuses
    that `domain.executions.TRANSITIONS` allows for its step; NotFound for no such run."""

    def create(self, execution: Execution) -> None:
        """Store a new queued run; Conflict if its id exists."""
        ...

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
        """queued -> running for the oldest queued run of the tenant, by one conditional write
        (a run another agent took in between is skipped); None when none is queued."""
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
        """running -> `status` (a target of Step.FINISH), once; Conflict if it is not running
        for this agent."""
        ...

    def cancel(self, tenant: str, execution_id: str, now: datetime) -> Execution:
        """queued -> cancelled at once; running -> cancel requested; Conflict if terminal."""
        ...

    def expired_leases(self, now: datetime, limit: int) -> list[Execution]:
        """Up to `limit` running runs whose lease ended in a second before `now`'s."""
        ...

    def fail_expired(self, execution: Execution, now: datetime, message: str) -> bool:
        """running -> failed if its lease is still expired (`domain.executions.lease_expired`),
        with `message` as the error and as one more log line, in one atomic write; False when
        it no longer applies."""
        ...

    def delete(self, tenant: str, execution_id: str) -> bool:
        """Delete a run that is neither queued nor running, and its log lines; False when
        it is gone already; Conflict when it is queued or running."""
        ...


class LogStore(Protocol):
    """A run's log lines, numbered from 1. Lines live beside the run's state (the run's
    `log_next_seq` is the next expected seq), so each call also reads or conditions on it."""

    def append_logs(
        self, tenant: str, execution_id: str, agent_id: str, first_seq: int, lines: list[LogLine]
    ) -> int:
        """Store a batch of lines numbered from first_seq, if the run is running on this agent
        and first_seq is its next expected seq; returns the next expected seq. A resent batch
        is stored once (`domain.logs.after_refused_batch`); NotFound for no such run."""
        ...

    def read_logs(self, tenant: str, execution_id: str, after: int, limit: int) -> LogPage:
        """Lines with seq > after (at most limit), whether more exist, and the run's current
        state, strongly consistent. The state comes from the same read as the lines where the
        store can (on DynamoDB, one Query of the run's partition: the head sorts after the log
        chunks): a poll costs one read, not two. NotFound for no such run."""
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
    """Conditional writes and reads only; what a held key means is `domain.idempotency`'s."""

    def claim(self, key: str, record: IdempotentRecord, replacing: IdempotentRecord | None) -> bool:
        """Store `record` under `key` in one conditional write: if the key is free (`replacing`
        None), or if it still holds the record `replacing` that was read (same fingerprint and
        expiry). False when that condition does not hold."""
        ...

    def get(self, key: str) -> IdempotentRecord | None:
        """Strongly consistent read of the record that holds the key, expired or not."""
        ...

    def complete(self, key: str, status: int, body: str) -> None:
        """Keep the outcome of the key's request for replay; nothing if the key is gone."""
        ...

    def release(self, key: str) -> None:
        """Forget an in-flight key whose request failed, so that a retry may run."""
        ...


# ---- governance: members, tenant token index, policy, audit log, notifications ----

if TYPE_CHECKING:
    from sculptops.domain.governance import (
        AuditEvent,
        AuditPage,
        AuditType,
        Member,
        Notification,
        NotificationPage,
    )
    from sculptops.domain.identity import TokenPolicy


class GovernanceStore(Protocol):
    """Writes that must happen together happen in one transaction, audit event included."""

    def list_members(self, tenant: str) -> tuple[list[Member], int]:
        """Every member of the tenant (strongly consistent) and the tenant's membership
        revision, which `change_member` checks: a concurrent change makes it Conflict."""
        ...

    def change_member(
        self,
        tenant: str,
        revision: int,
        before: User | None,
        after: User,
        member: Member | None,
        event: AuditEvent,
    ) -> None:
        """Write the user (created when `before` is None, else only if its memberships are
        still `before`'s), the tenant's member item (deleted when `member` is None), the next
        revision and the event, in one transaction; Conflict if anything moved meanwhile."""
        ...

    def link_tokens(self, tenant: str, tokens: Iterable[StoredToken]) -> None:
        """Index these (personal) tokens as able to act in the tenant."""
        ...

    def unlink_user(self, tenant: str, user_id: str) -> None:
        """Drop the tenant's index entries of this user's tokens."""
        ...

    def create_token(self, token: StoredToken, tenants: Iterable[str], event: AuditEvent) -> None:
        """Store a new token, its index entry in each tenant and the event, in one transaction."""
        ...

    def delete_token(self, token: StoredToken, event: AuditEvent) -> bool:
        """Delete a token with its event, in one transaction; False if it was gone."""
        ...

    def revoke_all(self, user_id: str, when: datetime, event: AuditEvent) -> None:
        """Move the user's revocation watermark to `when`, with the event, in one transaction."""
        ...

    def tenant_tokens(self, tenant: str, cursor: str | None, limit: int) -> TokenPage:
        """One page of the tenant's token index (newest first), each entry read back from the
        token store by key; entries whose token is gone are skipped (the page may be short)."""
        ...

    def tenant_token(self, tenant: str, token_id: str) -> StoredToken | None:
        """A token indexed in this tenant, by id; None if unknown or gone."""
        ...

    def revoke_by_admin(
        self, tenant: str, token: StoredToken, event: AuditEvent, notice: Notification
    ) -> bool:
        """Delete the token and its index entry, write the event and the owner's notification,
        in one transaction; False if the token was gone."""
        ...

    def set_policy(self, tenant: str, policy: TokenPolicy, event: AuditEvent) -> None:
        """Write the tenant's token policy and the event, in one transaction."""
        ...

    def put_events(self, events: Iterable[AuditEvent]) -> None:
        """Record events that go with no change of state (refusals)."""
        ...

    def list_events(
        self,
        tenant: str,
        cursor: str | None,
        limit: int,
        type_: AuditType | None,
        actor: str | None,
    ) -> AuditPage:
        """Newest first, at most `limit`, filtered by type and actor user id."""
        ...

    def list_notifications(self, user_id: str, cursor: str | None, limit: int) -> NotificationPage:
        """The user's notifications, newest first."""
        ...
