"""API schemas of tenant governance: members, token policy, admins' token list, audit log,
notifications. Never a token value, digest or JWT."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from sculptops.domain.errors import InvalidInput
from sculptops.domain.governance import AuditType, TokenState, normalise_email
from sculptops.domain.roles import Role
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN
from sculptops.http.schemas import Out, Schema


def _email(value: str) -> str:
    try:
        return normalise_email(value)  # the domain's one rule: ASCII, lower case
    except InvalidInput as exc:
        raise PydanticCustomError("email", exc.detail) from None


class MemberIn(Schema):
    """Add a person to the tenant by email."""

    email: Annotated[str, AfterValidator(_email)] = Field(min_length=3, max_length=254)
    role: Role


class RoleIn(Schema):
    role: Role


class MemberOut(Out):
    user_id: str
    email: str
    name: str
    role: Role
    joined: datetime | None = None


class MemberList(Out):
    members: list[MemberOut]


class TokenPolicyIn(Schema):
    admins_only: bool = Field(default=False, strict=True)
    max_lifetime_days: int = Field(ge=DAYS_MIN, le=DAYS_MAX, strict=True)
    default_lifetime_days: int | None = Field(default=None, ge=DAYS_MIN, le=DAYS_MAX, strict=True)


class TokenPolicyOut(Out):
    admins_only: bool
    max_lifetime_days: int
    default_lifetime_days: int | None = None


class TokenPolicyChanged(TokenPolicyOut):
    tokens_stopped: int = Field(
        description="Tokens usable here until now whose lifetime exceeds the new maximum: "
        "refused with 401 in this tenant from the next request on"
    )


class TenantTokenOut(Out):
    """A token that can act in this tenant: never its value or digest."""

    id: str
    owner: str
    name: str
    ceiling: Role | None = None
    created_at: datetime
    last_used_at: datetime | None = None
    expiry_date: datetime | None = None
    state: TokenState


class TenantTokenList(Out):
    tokens: list[TenantTokenOut]
    next_cursor: str | None = None


class ActorOut(Out):
    user_id: str | None = None
    credential_id: str | None = None
    credential_kind: str | None = None


class TargetOut(Out):
    type: str
    id: str | None = None
    user_id: str | None = None


class AuditEventOut(Out):
    id: str
    type: AuditType
    time: datetime
    actor: ActorOut
    target: TargetOut
    source_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    details: dict[str, str | int | bool | None] = Field(default_factory=dict)


class AuditEventList(Out):
    events: list[AuditEventOut]
    next_cursor: str | None = None


class NotificationOut(Out):
    id: str
    type: str
    created_at: datetime
    message: str
    token_id: str | None = None
    tenant: str | None = None


class NotificationList(Out):
    notifications: list[NotificationOut]
    next_cursor: str | None = None
