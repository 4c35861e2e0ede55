"""Ports of running playbooks: the catalog, executions, their logs, agents, idempotency."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sculptops.domain.agents import Agent
    from sculptops.domain.catalog import Inventory, Playbook
    from sculptops.domain.executions import Execution, ExecutionPage, Status
    from sculptops.domain.idempotency import IdempotentRecord
    from sculptops.domain.logs import LogLine, LogPage


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
        self,
        tenant: str,
        execution_id: str,
        agent_id: str,
        first_seq: int,
        lines: list[LogLine],
        written_at: datetime | None = None,
    ) -> int:
        """Store a batch of lines numbered from first_seq, if the run is running on this agent
        and first_seq is its next expected seq; returns the next expected seq. A resent batch
        is stored once (`domain.logs.after_refused_batch`); NotFound for no such run. The run's
        `log_written_at` becomes `written_at` (default: the last line's `ts`)."""
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
