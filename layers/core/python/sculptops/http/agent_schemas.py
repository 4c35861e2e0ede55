"""API schemas of the agents: registration and the agent protocol (claim, heartbeat, logs,
finish)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from sculptops.http.fields import Name, UtcDateTime
from sculptops.http.schemas import ExecutionOut, InventoryOut, Out, PlaybookOut, Schema


class AgentIn(Schema):
    name: Name = Field(min_length=1, max_length=100)


class AgentOut(Out):
    id: str
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    current_execution: str | None


class AgentCreated(AgentOut):
    token: str = Field(description="The agent token. Store it now: it is never shown again.")


class AgentList(Out):
    agents: list[AgentOut]


class ClaimOut(Out):
    execution: ExecutionOut
    playbook: PlaybookOut
    inventory: InventoryOut


class HeartbeatOut(Out):
    status: str
    cancel_requested: bool
    lease_expires_at: datetime | None


class AgentLogLine(Schema):
    line: str = Field(max_length=1_000_000)
    level: str | None = None
    ts: UtcDateTime | None = None


class AgentLogBatch(Schema):
    first_seq: int = Field(ge=1, strict=True)
    lines: list[AgentLogLine] = Field(min_length=1, max_length=1000)


class AgentLogAck(Out):
    next_seq: int


class FinishIn(Schema):
    exit_code: int = Field(ge=-255, le=255, strict=True)
