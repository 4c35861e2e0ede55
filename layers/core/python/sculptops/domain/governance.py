"""Tenant governance: members, the token policy's lifetime rule, audit events, notifications."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sculptops.domain import ids
from sculptops.domain.errors import InvalidInput
from sculptops.domain.identity import Caller, CredentialKind, RequestOrigin
from sculptops.domain.roles import Role
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN, StoredToken

EMAIL_MAX = 254
# ASCII only (no fullwidth or dotted-I look-alikes, no bidi or control characters); a domain
# without a TLD (`admin@demo`) is allowed, a trailing dot is not (`admin@demo.` is not a second
# spelling of `admin@demo`).
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
)


class AuditType(StrEnum):
    TOKEN_CREATED = "token.created"
    TOKEN_ROTATED = "token.rotated"
    TOKEN_DELETED = "token.deleted"
    TOKENS_REVOKED_ALL = "token.revoked_all"
    TOKEN_REVOKED_BY_ADMIN = "token.revoked_by_admin"
    TOKEN_REVOKED_LEAKED = "token.revoked_as_leaked"
    TOKEN_REUSE_DETECTED = "token.reuse_detected"
    TOKEN_REFUSED_BY_POLICY = "token.refused_by_policy"
    MEMBER_ADDED = "member.added"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    POLICY_CHANGED = "policy.changed"


class TokenState(StrEnum):
    """What the admins' list shows. Deleted and revoked tokens are gone: no tombstones."""

    ACTIVE = "active"
    EXPIRED = "expired"
    # Its lifetime (creation to expiry) exceeds the tenant's current maximum: refused here.
    REFUSED_BY_POLICY = "refused_by_policy"
    # Revoked here by an admin of this tenant while its owner belongs to other tenants too:
    # blocked here only, it still works there.
    REVOKED = "revoked"
    # Rotated away, its overlap not over: still works until then. Once the overlap is over it
    # is not listed at all (as in the owner's list).
    ROTATED = "rotated"


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    credential_id: str | None
    credential_kind: CredentialKind | None


@dataclass(frozen=True)
class AuditEvent:
    id: str  # sortable by time (ids.sortable_id "evt")
    tenant: str
    type: AuditType
    at: datetime
    actor: Actor
    target_type: str  # "token", "member", "policy"
    target_id: str | None = None
    target_user: str | None = None
    origin: RequestOrigin = field(default_factory=RequestOrigin)
    # Plain facts (names, roles, counts): never a token value, digest or JWT.
    details: dict[str, str | int | bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_cursor: str | None


@dataclass(frozen=True)
class Notification:
    id: str
    user_id: str
    type: str  # open: "token.revoked_by_admin", later "token.expiring", ...
    created_at: datetime
    message: str
    token_id: str | None = None
    tenant: str | None = None


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[Notification]
    next_cursor: str | None


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    name: str
    role: Role
    joined_at: datetime | None


@dataclass(frozen=True)
class TenantToken:
    """One token that can act in a tenant, as the admins' list shows it."""

    token: StoredToken
    state: TokenState


@dataclass(frozen=True)
class TenantTokenPage:
    tokens: list[TenantToken]
    next_cursor: str | None


def lifetime_exceeds(token: StoredToken, max_days: int) -> bool:
    """Whether a personal token's lifetime, creation to expiry, is above `max_days`.

    A personal token without an expiry (none are made so) counts as exceeding any maximum.
    """
    if token.kind is not CredentialKind.TOKEN:
        return False  # agent tokens are outside the token policy
    if token.expires_at is None:
        return True
    return token.expires_at - token.created_at > timedelta(days=max_days)


def state_of(token: StoredToken, max_days: int, now: datetime, blocked: bool = False) -> TokenState:
    if blocked:
        return TokenState.REVOKED
    if token.expired(now):
        return TokenState.EXPIRED
    if token.superseded_by is not None:
        return TokenState.ROTATED
    if lifetime_exceeds(token, max_days):
        return TokenState.REFUSED_BY_POLICY
    return TokenState.ACTIVE


def check_policy(max_days: int, default_days: int | None) -> None:
    """The bounds of a token policy; InvalidInput naming the field."""
    if not DAYS_MIN <= max_days <= DAYS_MAX:
        raise InvalidInput("max_lifetime_days", f"must be between {DAYS_MIN} and {DAYS_MAX}")
    if default_days is not None and not DAYS_MIN <= default_days <= max_days:
        raise InvalidInput(
            "default_lifetime_days", f"must be between {DAYS_MIN} and max_lifetime_days"
        )


def normalise_email(value: str) -> str:
    """An address as one spelling: ASCII, lower case; InvalidInput naming `email` otherwise."""
    email = value.strip()
    if len(email) > EMAIL_MAX or not email.isascii() or not _EMAIL_RE.fullmatch(email):
        raise InvalidInput("email", "is not an email address (ASCII, as local@domain)")
    if ".." in email or email.startswith(".") or ".@" in email:
        raise InvalidInput("email", "is not an email address (ASCII, as local@domain)")
    return email.lower()


def admins_after(members: list[Member], user_id: str, new_role: Role | None) -> int:
    """How many admins the tenant keeps once `user_id` has `new_role` (None: removed)."""
    count = 0
    for m in members:
        role = new_role if m.user_id == user_id else m.role
        if role is Role.ADMIN:
            count += 1
    return count


def new_event(
    caller: Caller,
    now: datetime,
    type_: AuditType,
    target_type: str,
    *,
    target_id: str | None = None,
    target_user: str | None = None,
    details: dict[str, str | int | bool | None] | None = None,
    tenant: str | None = None,
) -> AuditEvent:
    """An audit event of the caller's request, in the caller's tenant unless one is given."""
    where = tenant or caller.tenant
    if where is None:  # pragma: no cover - every governed route has a tenant
        raise ValueError("an audit event needs a tenant")
    return AuditEvent(
        id=ids.sortable_id("evt", int(now.timestamp() * 1000)),
        tenant=where,
        type=type_,
        at=now,
        actor=Actor(
            user_id=caller.subject,
            credential_id=caller.credential_id,
            credential_kind=caller.kind,
        ),
        target_type=target_type,
        target_id=target_id,
        target_user=target_user,
        origin=caller.origin or RequestOrigin(),
        details=dict(details or {}),
    )
