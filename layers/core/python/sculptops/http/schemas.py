"""API schemas (pydantic), apart from domain objects and storage models.

Canonical models are snake_case. `camel(Model)` derives the compatibility surface's variant:
camelCase on the wire and in its OpenAPI document. Both surfaces accept both spellings.
"""

from __future__ import annotations

import functools
import operator
import re
import types
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from sculptops.domain.roles import Role
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN, NAME_MAX


def _both(name: str) -> AliasChoices:
    return AliasChoices(name, to_camel(name))


# ---- input types reused by every schema ----

# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, line and paragraph separators:
# nothing a name needs, and what a terminal or a list could be tricked by.
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _name_text(value: str) -> str:
    if _NAME_FORBIDDEN.search(value):
        raise PydanticCustomError(
            "name_characters",
            "must not contain control characters, line separators or bidi override characters",
        )
    return value


def _in_utc(value: datetime) -> datetime:
    """Naive means UTC; an aware value is converted, or refused when UTC cannot hold it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PydanticCustomError(
            "datetime_utc_range", "is out of range once converted to UTC"
        ) from None


# Every *name* field of an input: single-line text without controls or bidi tricks. Length
# bounds stay on each field.
Name = Annotated[str, AfterValidator(_name_text)]
# Every date-time of an input: timezone-aware, in UTC (year 1 at +01:00 is refused, not a 500).
UtcDateTime = Annotated[datetime, AfterValidator(_in_utc)]


class Schema(BaseModel):
    """Base of every input: unknown fields are refused, both spellings accepted."""

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
    )


class Out(BaseModel):
    model_config = ConfigDict(validate_by_name=True)
    # Fields whose type differs on the compatibility surface: name -> (type, description).
    compat_types: ClassVar[dict[str, tuple[Any, str]]] = {}


@functools.cache
def camel(model: type[BaseModel]) -> type[BaseModel]:
    """The camelCase variant of an output model (nested models converted too)."""
    fields: dict[str, Any] = {}
    overrides: dict[str, tuple[Any, str]] = getattr(model, "compat_types", {})
    for name, info in model.model_fields.items():
        annotation, description = overrides.get(name, (info.annotation, info.description))
        fields[name] = (
            _camel_type(annotation),
            Field(
                default=info.default,
                serialization_alias=to_camel(name),
                validation_alias=_both(name),
                description=description,
            ),
        )
    return create_model(
        f"{model.__name__}Compat",
        __config__=ConfigDict(validate_by_name=True, serialize_by_alias=True),
        __doc__=model.__doc__,
        **fields,
    )


def _camel_type(tp: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return camel(tp)
    origin = get_origin(tp)
    if origin is None:
        return tp
    args = tuple(_camel_type(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, args)
    if origin is Annotated:
        return tp
    return origin[args] if len(args) > 1 else origin[args[0]]


# ---- tokens ----


class TokenCreate(Schema):
    """A new personal API token. Give `expiry_date` or `expires_in_days`, or neither."""

    name: Name = Field(min_length=1, max_length=NAME_MAX, validation_alias=_both("name"))
    expiry_date: UtcDateTime | date | None = Field(
        default=None,
        validation_alias=_both("expiry_date"),
        description="A future ISO-8601 date or date-time (UTC when no offset is given)",
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=DAYS_MIN,
        le=DAYS_MAX,
        strict=True,
        validation_alias=_both("expires_in_days"),
    )
    ceiling: Role | None = Field(
        default=None,
        validation_alias=_both("ceiling"),
        description="Highest role the token may act with; default: the owner's current role",
    )


class TokenInfo(Out):
    """A token as listed: never its value or digest."""

    id: str
    name: str
    expiry_date: datetime | None
    created_at: datetime
    last_used_at: datetime | None = None
    ceiling: Role | None = None


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

    name: Name = Field(min_length=1, max_length=100, validation_alias=_both("name"))
    content: str = Field(
        min_length=1,
        max_length=262144,
        validation_alias=_both("content"),
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
        validation_alias=_both("name"),
        description="A hostname or an address",
    )
    vars: dict[str, Any] = Field(default_factory=dict, validation_alias=_both("vars"))


class InventoryIn(Schema):
    name: Name = Field(min_length=1, max_length=100, validation_alias=_both("name"))
    hosts: list[HostIn] = Field(min_length=1, max_length=1000, validation_alias=_both("hosts"))
    vars: dict[str, Any] = Field(
        default_factory=dict, validation_alias=_both("vars"), description="Group vars (all)"
    )


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

    playbook_id: str = Field(min_length=1, max_length=64, validation_alias=_both("playbook_id"))
    inventory_id: str = Field(min_length=1, max_length=64, validation_alias=_both("inventory_id"))
    extra_vars: dict[str, Any] = Field(default_factory=dict, validation_alias=_both("extra_vars"))
    tags: list[str] = Field(default_factory=list, max_length=50, validation_alias=_both("tags"))
    limit: str | None = Field(
        default=None,
        max_length=1000,
        validation_alias=_both("limit"),
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


# ---- agents ----


class AgentIn(Schema):
    name: Name = Field(min_length=1, max_length=100, validation_alias=_both("name"))


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
    line: str = Field(max_length=1_000_000, validation_alias=_both("line"))
    level: str | None = Field(default=None, validation_alias=_both("level"))
    ts: UtcDateTime | None = Field(default=None, validation_alias=_both("ts"))


class AgentLogBatch(Schema):
    first_seq: int = Field(ge=1, strict=True, validation_alias=_both("first_seq"))
    lines: list[AgentLogLine] = Field(
        min_length=1, max_length=1000, validation_alias=_both("lines")
    )


class AgentLogAck(Out):
    next_seq: int


class FinishIn(Schema):
    exit_code: int = Field(ge=-255, le=255, strict=True, validation_alias=_both("exit_code"))
