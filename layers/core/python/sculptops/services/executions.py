"""Triggering runs, reading their status and logs, cancelling them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sculptops.domain import ids
from sculptops.domain.errors import Forbidden, InvalidInput, NotFound
from sculptops.domain.executions import (
    Execution,
    ExecutionPage,
    Status,
    cancel_step,
    check_deletable,
)
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.domain.logs import LogLine
from sculptops.domain.roles import Role
from sculptops.domain.run_parameters import validate_run_parameters
from sculptops.ports import CatalogStore, Clock, ExecutionStore, LogStore

LIST_LIMIT_DEFAULT = 50
LIST_LIMIT_MAX = 200
LOG_LIMIT_DEFAULT = 500
LOG_LIMIT_MAX = 1000
# How soon to poll again: soon while lines flow; while a run prints nothing (or waits for an
# agent), the longer it has been quiet the longer the wait, doubling from 500 ms up to 4 s.
POLL_MIN_MS = 500
POLL_MAX_MS = 4000


def poll_after_ms(quiet_ms: int) -> int:
    """The wait before the next poll of a run quiet for `quiet_ms` (since its last line, or
    since it started or was queued): 500 ms under 1 s of quiet, then the largest 500 ms x 2^k
    not above the quiet time, at most 4000 ms. A follower honouring it polls at 0, 0.5, 1, 2, 4,
    8, 12, ... s of quiet: the wait doubles, and new output brings it back to 500 ms."""
    poll = POLL_MIN_MS
    while poll * 2 <= min(quiet_ms, POLL_MAX_MS):
        poll *= 2
    return poll


def quiet_since(execution: Execution) -> datetime:
    """When the run last showed a sign of life to a follower: its last stored line, else its
    start, else its creation."""
    return execution.log_written_at or execution.started_at or execution.created_at


@dataclass(frozen=True)
class NewExecution:
    playbook_id: str
    inventory_id: str
    extra_vars: dict[str, Any]
    tags: list[str]
    limit: str | None


@dataclass(frozen=True)
class LogView:
    lines: list[LogLine]
    next: int
    complete: bool
    status: Status
    poll_after_ms: int


def _human(caller: Caller, minimum: Role) -> str:
    if caller.kind is CredentialKind.AGENT:
        raise Forbidden("agent tokens reach only the agent protocol")
    caller.require(minimum)
    assert caller.tenant is not None
    return caller.tenant


class ExecutionService:
    def __init__(
        self, *, executions: ExecutionStore, logs: LogStore, catalog: CatalogStore, clock: Clock
    ) -> None:
        self._store = executions
        self._logs = logs
        self._catalog = catalog
        self._clock = clock

    def authorize_trigger(self, caller: Caller) -> None:
        """Forbidden unless the caller may trigger runs here: checked before any replay too."""
        _human(caller, Role.MEMBER)

    def trigger(self, caller: Caller, request: NewExecution) -> Execution:
        """Queue a run of a playbook on an inventory of the caller's tenant (member or admin)."""
        tenant = _human(caller, Role.MEMBER)
        if not ids.is_id(request.playbook_id, "pb") or not self._catalog.get_playbook(
            tenant, request.playbook_id
        ):
            raise InvalidInput("playbook_id", f"no playbook {request.playbook_id} in {tenant}")
        if not ids.is_id(request.inventory_id, "inv") or not self._catalog.get_inventory(
            tenant, request.inventory_id
        ):
            raise InvalidInput("inventory_id", f"no inventory {request.inventory_id} in {tenant}")
        # Data, never code or options: reserved names, `--limit=`/`--tags=` values (422).
        extra_vars, tags, limit = validate_run_parameters(
            request.extra_vars, request.tags, request.limit
        )
        now = self._clock.now()
        execution = Execution(
            id=ids.sortable_id("exe", int(now.timestamp() * 1000)),
            tenant=tenant,
            status=Status.QUEUED,
            playbook_id=request.playbook_id,
            inventory_id=request.inventory_id,
            created_at=now,
            triggered_by=caller.subject,
            credential_kind=caller.kind.value,
            credential_id=caller.credential_id,
            extra_vars=extra_vars,
            tags=tags,
            limit=limit,
        )
        self._store.create(execution)
        return execution

    def get(self, caller: Caller, execution_id: str) -> Execution:
        tenant = _human(caller, Role.VIEWER)
        execution = (
            self._store.get(tenant, execution_id) if ids.is_id(execution_id, "exe") else None
        )
        if execution is None:
            raise NotFound(f"execution {execution_id} not found")
        return execution

    def list_executions(
        self,
        caller: Caller,
        status: Status | None,
        playbook_id: str | None,
        cursor: str | None,
        limit: int,
    ) -> ExecutionPage:
        """Newest first, filtered by status and playbook, paginated by cursor."""
        tenant = _human(caller, Role.VIEWER)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise InvalidInput("limit", f"must be between 1 and {LIST_LIMIT_MAX}", "query")
        if cursor is not None and not ids.is_id(cursor, "exe"):
            raise InvalidInput("cursor", "is not a cursor this API returned", "query")
        return self._store.list_for_tenant(tenant, status, playbook_id, cursor, limit)

    def cancel(self, caller: Caller, execution_id: str) -> Execution:
        """Queued: cancelled at once. Running: cancelled when its agent stops it."""
        tenant = _human(caller, Role.MEMBER)
        cancel_step(self.get(caller, execution_id))  # Conflict at once for a finished run
        return self._store.cancel(tenant, execution_id, self._clock.now())

    def logs(self, caller: Caller, execution_id: str, after: int, limit: int) -> LogView:
        """The lines after a cursor, whether that is all of them, and when to ask again."""
        tenant = _human(caller, Role.VIEWER)
        if after < 0:
            raise InvalidInput("after", "must be 0 or more", "query")
        if not 1 <= limit <= LOG_LIMIT_MAX:
            raise InvalidInput("limit", f"must be between 1 and {LOG_LIMIT_MAX}", "query")
        if not ids.is_id(execution_id, "exe"):
            raise NotFound(f"execution {execution_id} not found")
        page = self._logs.read_logs(tenant, execution_id, after, limit)
        execution = page.execution
        lines = page.lines
        last = lines[-1].seq if lines else after
        written = execution.log_next_seq - 1
        caught_up = not page.more and last >= written
        complete = execution.status.terminal and caught_up
        if complete or not caught_up:
            poll = 0
        elif lines:
            poll = POLL_MIN_MS  # new output: back to the minimum
        else:
            quiet = self._clock.now() - quiet_since(execution)
            poll = poll_after_ms(max(0, int(quiet.total_seconds() * 1000)))
        return LogView(
            lines=lines, next=last, complete=complete, status=execution.status, poll_after_ms=poll
        )

    def delete(self, caller: Caller, execution_id: str) -> None:
        """Delete a finished run and its log (admin); a queued or running one must be cancelled."""
        tenant = _human(caller, Role.ADMIN)
        check_deletable(self.get(caller, execution_id))
        if not self._store.delete(tenant, execution_id):
            raise NotFound(f"execution {execution_id} not found")
