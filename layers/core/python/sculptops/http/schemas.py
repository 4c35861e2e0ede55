"""API schemas (pydantic), apart from domain objects and storage models.

Canonical models are snake_case; inputs accept camelCase too, and `casing.camel(Model)` derives
an output model's variant for the compatibility surface (see http/casing.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from sculptops.domain.roles import Role
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN, NAME_MAX
from sculptops.http.casing import BOTH_SPELLINGS
from sculptops.http.fields import Label, Name, UtcDateTime


class Schema(BaseModel):
    """Base of every input: unknown fields are refused, both spellings accepted."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=BOTH_SPELLINGS,
        validate_by_name=True,
        validate_by_alias=True,
    )


class Out(BaseModel):
    model_config = ConfigDict(validate_by_name=True)
    # Fields whose type differs on the compatibility surface: name -> (type, description).
    compat_types: ClassVar[dict[str, tuple[Any, str]]] = {}


# ---- tokens ----


class TokenCreate(Schema):
    """A new personal API token. Give `expiry_date` or `expires_in_days`, or neither."""

    name: Label = Field(min_length=1, max_length=NAME_MAX)
    expiry_date: UtcDateTime | date | None = Field(
        default=None,
        description="A future ISO-8601 date or date-time (UTC when no offset is given)",
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=DAYS_MIN,
        le=DAYS_MAX,
        strict=True,
    )
    ceiling: Role | None = Field(
        default=None,
        description="Highest role the token may act with; default: the owner's current role",
    )


class TokenInfo(Out):
    """A token as listed: never its value or digest."""

    id: str
    name: str
    expiry_date: datetime | None
    created_at: datetime
    last_used_at: datetime | None = None
    last_used_ips: list[str] = Field(
        default_factory=list,
        description="The five most recent distinct source IPs, newest first (at most one "
        "update a minute)",
    )
    ceiling: Role | None = None
    replaced_by: str | None = Field(
        default=None,
        description="Set on the old token of a rotation while its value still works: the id "
        "of the token that replaced it",
    )
    works_until: datetime | None = Field(
        default=None,
        description="With `replaced_by`: when the old value stops working (the overlap's end)",
    )


class TokenCreated(Out):
    """The created token with its value: shown in this response only."""

    id: str
    name: str
    expiry_date: datetime | None
    created_at: datetime
    ceiling: Role | None = None
    token: str = Field(description="The token value. Store it now: it is never shown again.")


class TokenList(Out):
    tokens: list[TokenInfo]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )


# ---- identity ----


class TenantRole(Out):
    slug: str
    name: str
    role: Role


class CredentialInfo(Out):
    kind: str = Field(description="token, agent or jwt")
    id: str | None = None
    name: str | None = None
    expiry_date: datetime | None = None
    ceiling: Role | None = None


class UserInfo(Out):
    id: str
    email: str
    name: str


class MeOut(Out):
    user: UserInfo | None
    tenants: list[TenantRole]
    active_tenant: str | None
    tenant: str | None = Field(description="The tenant of this request")
    role: Role | None = Field(description="The effective role in the tenant of this request")
    credential: CredentialInfo


class Health(Out):
    status: str


class ErrorOut(Out):
    message: str


# ---- catalog ----


class PlaybookIn(Schema):
    """A playbook: Ansible YAML, a list of plays each with `hosts`."""

    name: Name = Field(min_length=1, max_length=100)
    content: str = Field(
        min_length=1,
        max_length=262144,
        description="Playbook YAML",
    )


class PlaybookSummary(Out):
    id: str
    name: str
    updated_at: datetime


class PlaybookOut(Out):
    id: str
    name: str
    content: str
    created_at: datetime
    updated_at: datetime


class PlaybookList(Out):
    playbooks: list[PlaybookSummary]


class HostIn(Schema):
    name: Name = Field(
        min_length=1,
        max_length=253,
        description="A hostname or an address",
    )
    vars: dict[str, Any] = Field(default_factory=dict)


class InventoryIn(Schema):
    name: Name = Field(min_length=1, max_length=100)
    hosts: list[HostIn] = Field(min_length=1, max_length=1000)
    vars: dict[str, Any] = Field(default_factory=dict, description="Group vars (all)")


class HostOut(Out):
    name: str
    vars: dict[str, Any]


class InventoryOut(Out):
    id: str
    name: str
    hosts: list[HostOut]
    vars: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class InventorySummary(Out):
    id: str
    name: str
    hosts: int
    updated_at: datetime


class InventoryList(Out):
    inventories: list[InventorySummary]


# ---- executions ----


class ExecutionIn(Schema):
    """Run a playbook on an inventory."""

    playbook_id: str = Field(min_length=1, max_length=64)
    inventory_id: str = Field(min_length=1, max_length=64)
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list, max_length=50)
    limit: str | None = Field(
        default=None,
        max_length=1000,
        description="An Ansible host pattern to limit the run to",
    )


class ExecutionOut(Out):
    id: str
    status: str = Field(
        description="queued, running, success, failed or cancelled; unreadable: a stored record"
        " that cannot be read back (an admin may delete it)"
    )
    playbook_id: str
    inventory_id: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    extra_vars: dict[str, Any]
    tags: list[str]
    limit: str | None
    triggered_by: str
    agent_id: str | None
    cancel_requested: bool
    error: str | None


class ExecutionList(Out):
    executions: list[ExecutionOut]
    next_cursor: str | None = None


class LogLineOut(Out):
    # The older docs show a log event as {"line", "level", "ts": 1736934660}: on /api/... `ts` is
    # epoch seconds, as they promise; on /api/v1 it is ISO-8601.
    compat_types: ClassVar[dict[str, tuple[Any, str]]] = {
        "ts": (int, "When the agent read the line, in epoch seconds (UTC)")
    }

    seq: int
    ts: datetime = Field(description="When the agent read the line (ISO-8601, UTC)")
    level: str = Field(description="ok, changed, failed, skipped, unreachable, info or error")
    line: str


class LogBatch(Out):
    lines: list[LogLineOut]
    next: int = Field(description="Pass as `after` in the next poll")
    complete: bool = Field(description="The run is over and every line has been returned")
    status: str
    poll_after_ms: int = Field(description="When to poll again")


class StreamUrlOut(Out):
    """A URL that a browser's EventSource can follow without an Authorization header."""

    url: str = Field(
        description="The log stream's path with a signed `ticket`: this run only, read-only"
    )
    expires_at: datetime = Field(description="The ticket fails after this instant")
