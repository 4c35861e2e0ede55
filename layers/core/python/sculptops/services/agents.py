"""Agents: registration, and the protocol they run playbooks by (claim, heartbeat, logs, finish).

Also the sweeper's rule: a running execution whose lease expired is failed, saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sculptops.domain import ids, token_format
from sculptops.domain.agents import Agent
from sculptops.domain.catalog import Inventory, Playbook
from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from sculptops.domain.executions import Execution, Status, status_for_exit
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.domain.logs import BATCH_MAX_LINES, Level, LogLine, clip
from sculptops.domain.redaction import CREDENTIAL_REFUSED, holds_credential, redact_lines
from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken
from sculptops.ports import AgentStore, CatalogStore, Clock, ExecutionStore, LogStore, TokenStore

LEASE = timedelta(seconds=60)
SWEEP_BATCH = 100


@dataclass(frozen=True)
class RegisteredAgent:
    agent: Agent
    token: str  # shown once


@dataclass(frozen=True)
class ClaimedRun:
    execution: Execution
    playbook: Playbook
    inventory: Inventory


@dataclass(frozen=True)
class RawLine:
    line: str
    level: Level | None = None
    ts: datetime | None = None


def _utc(ts: datetime, index: int) -> datetime:
    """The agent's time of a line in UTC; 422 for one that UTC cannot hold (year 1 at +14:00)."""
    try:
        return ts.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(f"lines.{index}.ts", "is out of range once converted to UTC") from None


def _agent(caller: Caller) -> tuple[str, str]:
    if caller.kind is not CredentialKind.AGENT or caller.tenant is None:
        raise Forbidden("only an agent token may use the agent protocol")
    return caller.tenant, caller.subject


class AgentService:
    def __init__(
        self,
        *,
        agents: AgentStore,
        tokens: TokenStore,
        executions: ExecutionStore,
        logs: LogStore,
        catalog: CatalogStore,
        hasher: token_format.TokenHasher,
        clock: Clock,
        prefix: str,
    ) -> None:
        self._agents = agents
        self._tokens = tokens
        self._executions = executions
        self._logs = logs
        self._catalog = catalog
        self._hasher = hasher
        self._clock = clock
        self._prefix = prefix

    # ---- administration ----

    def register(self, caller: Caller, name: str) -> RegisteredAgent:
        """A new agent for the caller's tenant, with its token (shown once). Admins only."""
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens reach only the agent protocol")
        caller.require(Role.ADMIN)
        assert caller.tenant is not None
        clean = name.strip()
        if not 1 <= len(clean) <= 100:
            raise InvalidInput("name", "must be 1 to 100 characters")
        if holds_credential(clean):  # every viewer lists the agents
            raise InvalidInput("name", CREDENTIAL_REFUSED)
        now = self._clock.now()
        agent_id = ids.sortable_id("agt", int(now.timestamp() * 1000))
        value = token_format.generate(self._prefix)
        token = StoredToken(
            digest=self._hasher.digest(value),
            id=ids.sortable_id("tok", int(now.timestamp() * 1000)),
            kind=CredentialKind.AGENT,
            owner=agent_id,
            name=clean,
            created_at=now,
            expires_at=None,
            tenant=caller.tenant,
            created_by=caller.credential_id,
        )
        agent = Agent(
            id=agent_id, tenant=caller.tenant, name=clean, created_at=now, token_id=token.id
        )
        self._tokens.put(token)
        self._agents.put_agent(agent)
        return RegisteredAgent(agent=agent, token=value)

    def list_agents(self, caller: Caller) -> list[Agent]:
        caller.require(Role.VIEWER)
        assert caller.tenant is not None
        return sorted(self._agents.list_agents(caller.tenant), key=lambda a: a.id)

    def remove(self, caller: Caller, agent_id: str) -> None:
        """Delete an agent; its token fails at once."""
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens reach only the agent protocol")
        caller.require(Role.ADMIN)
        assert caller.tenant is not None
        agent = (
            self._agents.get_agent(caller.tenant, agent_id) if ids.is_id(agent_id, "agt") else None
        )
        if agent is None:
            raise NotFound(f"agent {agent_id} not found")
        token = self._tokens.find(agent.id, agent.token_id)
        if token is not None:
            self._tokens.delete(token)
        self._agents.delete_agent(caller.tenant, agent_id)

    # ---- the protocol ----

    def claim(self, caller: Caller) -> ClaimedRun | None:
        """The oldest queued run of the agent's tenant, now running on this agent; or None."""
        tenant, agent_id = _agent(caller)
        now = self._clock.now()
        while True:
            execution = self._executions.claim_next(tenant, agent_id, now, now + LEASE)
            if execution is None:
                self._agents.seen(tenant, agent_id, now, None)
                return None
            if execution.status is Status.UNREADABLE:
                why = "the run's stored record cannot be read"
            else:
                playbook = self._catalog.get_playbook(tenant, execution.playbook_id)
                inventory = self._catalog.get_inventory(tenant, execution.inventory_id)
                if playbook and playbook.readable and inventory and inventory.readable:
                    self._agents.seen(tenant, agent_id, now, execution.id)
                    return ClaimedRun(execution, playbook, inventory)
                # Deleted after the run was queued (or unreadable): fail it, saying why, and
                # look for the next.
                missing, found = (
                    ("playbook", playbook)
                    if playbook is None or not playbook.readable
                    else ("inventory", inventory)
                )
                gone = "was deleted before the run started" if found is None else "cannot be read"
                why = f"the {missing} {gone}"
            try:
                self._logs.append_logs(
                    tenant,
                    execution.id,
                    agent_id,
                    1,
                    [LogLine(1, now, Level.ERROR, f"SculptOps: {why}")],
                    written_at=now,
                )
                self._executions.finish(tenant, execution.id, agent_id, Status.FAILED, -1, now)
            except Conflict:
                pass  # a broken record may refuse these writes; it is no longer queued anyway

    def heartbeat(self, caller: Caller, execution_id: str) -> Execution:
        """Extend the lease; the answer says whether a cancel was requested."""
        tenant, agent_id = _agent(caller)
        now = self._clock.now()
        execution = self._executions.heartbeat(tenant, execution_id, agent_id, now + LEASE)
        self._agents.seen(tenant, agent_id, now, execution_id)
        return execution

    def append_logs(
        self, caller: Caller, execution_id: str, first_seq: int, lines: list[RawLine]
    ) -> int:
        """Store a batch of lines numbered from first_seq; a resent batch is stored once."""
        tenant, agent_id = _agent(caller)
        if first_seq < 1:
            raise InvalidInput("first_seq", "must be 1 or more")
        if not 1 <= len(lines) <= BATCH_MAX_LINES:
            raise InvalidInput("lines", f"send 1 to {BATCH_MAX_LINES} lines per batch")
        now = self._clock.now()
        # Ansible prints what a task was given: a credential in it is masked, as CI systems
        # mask secrets in their logs (every viewer reads a run's log), also one wrapped across
        # lines of the batch; before the cut, which could leave one completable.
        texts = redact_lines([raw.line for raw in lines])
        numbered = [
            LogLine(
                seq=first_seq + i,
                ts=_utc(raw.ts, i) if raw.ts is not None else now,
                level=raw.level or Level.INFO,
                line=clip(texts[i]),
            )
            for i, raw in enumerate(lines)
        ]
        return self._logs.append_logs(
            tenant, execution_id, agent_id, first_seq, numbered, written_at=now
        )

    def finish(self, caller: Caller, execution_id: str, exit_code: int) -> Execution:
        """running -> success (exit 0), failed, or cancelled (if a cancel was requested)."""
        tenant, agent_id = _agent(caller)
        current = self._executions.get(tenant, execution_id)
        if current is None:
            raise NotFound(f"execution {execution_id} not found")
        status = status_for_exit(exit_code, current.cancel_requested)
        now = self._clock.now()
        finished = self._executions.finish(tenant, execution_id, agent_id, status, exit_code, now)
        self._agents.seen(tenant, agent_id, now, None)
        return finished

    # ---- the sweeper ----

    def sweep(self) -> int:
        """Fail every running execution whose agent stopped heartbeating. Returns how many."""
        now = self._clock.now()
        failed = 0
        for execution in self._executions.expired_leases(now, SWEEP_BATCH):
            message = (
                "SculptOps: the agent stopped reporting (lease expired at "
                f"{execution.lease_expires_at.isoformat() if execution.lease_expires_at else '?'})"
                "; the run is marked failed"
            )
            if self._executions.fail_expired(execution, now, message):
                failed += 1
        return failed
