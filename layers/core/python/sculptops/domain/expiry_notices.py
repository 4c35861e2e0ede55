"""Expiry notices: which personal tokens are told about, when, and what the notice says.

A token gets `token.expiring` once when it has 7 days or less to live, and
`token.expires_today` once on its last day (less than 24 hours left). The daily job finds them
by expiry day (`expires_on`, YYYY-MM-DD in UTC), never by scanning the tokens; each notice is
written at most once per token and kind (`once_key`). A notice names the token (name, id,
expiry), never its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sculptops.domain import ids
from sculptops.domain.governance import Notification
from sculptops.domain.identity import CredentialKind
from sculptops.domain.tokens import StoredToken

WARN_BEFORE = timedelta(days=7)
LAST_DAY = timedelta(days=1)
SOURCE = "sculptops"
DETAIL_TYPE = "Token Expiring"


class NoticeKind(StrEnum):
    EXPIRING = "token.expiring"
    EXPIRES_TODAY = "token.expires_today"


def expires_on(expires_at: datetime | None) -> str | None:
    """The index key of a token's expiry: its UTC day, YYYY-MM-DD (None: never expires)."""
    return expires_at.date().isoformat() if expires_at is not None else None


def days_to_query(now: datetime) -> list[date]:
    """The expiry days a run at `now` reads: today and the next 7 (UTC)."""
    today = now.date()
    return [today + timedelta(days=n) for n in range(WARN_BEFORE.days + 1)]


def kind_for(token: StoredToken, now: datetime) -> NoticeKind | None:
    """The notice a personal token is due at `now`, if any."""
    if token.kind is not CredentialKind.TOKEN or token.expires_at is None:
        return None
    left = token.expires_at - now
    if left <= timedelta(0) or left > WARN_BEFORE:
        return None
    return NoticeKind.EXPIRES_TODAY if left <= LAST_DAY else NoticeKind.EXPIRING


def once_key(token: StoredToken, kind: NoticeKind) -> str:
    """At most one notice of each kind per token."""
    return f"{token.id}#{kind.value}"


def header_time(when: datetime) -> str:
    """An instant as GitHub writes its token expiration header: `2026-11-30 12:00:00 UTC`."""
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def notice(token: StoredToken, kind: NoticeKind, now: datetime) -> Notification:
    """The owner's notice: the token's name, id and expiry, never its value."""
    assert token.expires_at is not None  # kind_for returned a kind
    when = header_time(token.expires_at)
    if kind is NoticeKind.EXPIRES_TODAY:
        text = f"Your token {token.name!r} ({token.id}) expires in less than a day, at {when}."
    else:
        days = math.ceil((token.expires_at - now) / LAST_DAY)  # 2 days 23 hours: "3 days"
        text = f"Your token {token.name!r} ({token.id}) expires in {days} days, at {when}."
    return Notification(
        id=ids.sortable_id("ntf", int(now.timestamp() * 1000)),
        user_id=token.owner,
        type=kind.value,
        created_at=now,
        message=text + " Rotate it or create a new one before then.",
        token_id=token.id,
        tenant=token.tenant,
    )


@dataclass(frozen=True)
class OutboundEvent:
    """An event for operators (EventBridge on AWS): plain facts, never a value or digest."""

    source: str
    detail_type: str
    detail: dict[str, str | int | bool | None]


def expiring_event(token: StoredToken, kind: NoticeKind) -> OutboundEvent:
    assert token.expires_at is not None
    return OutboundEvent(
        source=SOURCE,
        detail_type=DETAIL_TYPE,
        detail={
            "notice_type": kind.value,
            "user_id": token.owner,
            "token_id": token.id,
            "token_name": token.name,
            "expires_at": token.expires_at.isoformat(),
            "tenant": token.tenant,
        },
    )


@dataclass(frozen=True)
class NoticeRun:
    """What one run of the job did."""

    tokens_seen: int = 0
    notices_written: int = 0
    already_notified: int = 0
    events_published: int = 0
