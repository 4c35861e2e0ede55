"""Token rotation and last-use bookkeeping: the rules, without storage.

A rotation keeps the old token's item and marks it: `superseded_by` (the new token's id),
`valid_until` (now + the overlap) and `family` (the first token's id, shared by every token of
the rotation chain). The authorizer's one key read of the presented token then tells it all:
current, still within its overlap, or reused after it (GitLab 16.3's reuse detection: the whole
family is revoked).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from sculptops.domain.errors import InvalidInput
from sculptops.domain.tokens import StoredToken, descendants

OVERLAP_MAX_SECONDS = 3600
# last_used_at and last_used_ips are written at most this often per token: almost every
# authorized request writes nothing.
TOUCH_EVERY = timedelta(minutes=1)
IPS_KEPT = 5  # IPs are personal data: only the few most recent distinct ones are kept
IP_MAX = 45  # the longest textual IPv6 address


class UseState(StrEnum):
    CURRENT = "current"  # never rotated away
    OVERLAP = "overlap"  # rotated away, its overlap not over: still works
    REUSED = "reused"  # rotated away and presented after its overlap: reuse


def use_state(token: StoredToken, now: datetime) -> UseState:
    if token.superseded_by is None:
        return UseState.CURRENT
    if token.valid_until is not None and now < token.valid_until:
        return UseState.OVERLAP
    return UseState.REUSED


def check_overlap(seconds: int | None) -> int:
    """The overlap in seconds (0 when not given); InvalidInput naming the field."""
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not 0 <= seconds <= OVERLAP_MAX_SECONDS:
        raise InvalidInput("overlap_seconds", f"must be between 0 and {OVERLAP_MAX_SECONDS}")
    return seconds


def superseded(old: StoredToken, new_id: str, now: datetime, overlap_seconds: int) -> StoredToken:
    """The old token as a rotation leaves it: replaced by `new_id`, valid for the overlap.

    Its item stays until its own expiry (DynamoDB TTL), so that a reuse is detected as long as
    the value could have been used at all.
    """
    end = now + timedelta(seconds=overlap_seconds)
    if old.expires_at is not None:
        end = min(end, old.expires_at)  # an overlap never outlasts the token itself
    return replace(old, family=old.family_id, superseded_by=new_id, valid_until=end)


def power_ends(token: StoredToken) -> datetime | None:
    """When a token stops working: its expiry, or for a rotated-away value the overlap's end.
    What it mints or rotates never outlives this."""
    if token.superseded_by is None or token.valid_until is None:
        return token.expires_at
    if token.expires_at is None:
        return token.valid_until
    return min(token.expires_at, token.valid_until)


def earlier_values(tokens: Iterable[StoredToken], token: StoredToken) -> list[StoredToken]:
    """The values `token` replaced in its rotation family (older members, rotated away): taking
    a value away takes these too, which would otherwise work on until their overlap ends."""
    return [
        t
        for t in tokens
        if t.id != token.id
        and t.family_id == token.family_id
        and t.superseded_by is not None
        and t.created_at <= token.created_at
    ]


def family_members(tokens: Iterable[StoredToken], family: str) -> list[StoredToken]:
    """Every token of a rotation family: the first one (whose id is the family) and the rest."""
    return [t for t in tokens if t.family_id == family]


def touch_due(token: StoredToken, now: datetime) -> bool:
    """Whether this use should be recorded: at most once per TOUCH_EVERY per token."""
    return token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY


def with_ip(ips: Iterable[str], ip: str | None) -> tuple[str, ...]:
    """The most recent distinct IPs, newest first, at most IPS_KEPT, `ip` at the front."""
    kept = [i for i in ips if i != ip]
    if ip:
        kept.insert(0, ip)
    return tuple(kept[:IPS_KEPT])


def clean_ip(value: str | None) -> str | None:
    """A source IP as API Gateway gives it, or None for anything that cannot be one."""
    if not value or len(value) > IP_MAX:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def taken_along(owned: Iterable[StoredToken], token: StoredToken) -> list[StoredToken]:
    """What deleting `token` stops, itself first: every token it minted and every value any of
    them replaced in a rotation, transitively (`owned`: all of the owner's tokens)."""
    return _closure(list(owned), token, earlier_values)


def family_taken_along(owned: Iterable[StoredToken], token: StoredToken) -> list[StoredToken]:
    """What an admin's revoke of `token` stops, itself first: its whole rotation family (as a
    block by family id does), every token any of them minted, and their families, transitively."""
    return _closure(
        list(owned),
        token,
        lambda owned, t: [m for m in family_members(owned, t.family_id) if m.id != t.id],
    )


def _closure(
    owned: list[StoredToken],
    token: StoredToken,
    related: Callable[[list[StoredToken], StoredToken], list[StoredToken]],
) -> list[StoredToken]:
    """`token`, then everything reachable from it by `related` or by minting (`descendants`)."""
    found = {token.id: token}
    # (token, whether its descendants are still to be found): `descendants` is transitive, so
    # a token found among them needs only its `related` ones looked up.
    frontier = [(token, True)]
    while frontier:  # bounded: each token enters once, and the owner's tokens are finite
        current, expand = frontier.pop()
        for t in related(owned, current):
            if t.id not in found:
                found[t.id] = t
                frontier.append((t, True))
        for t in descendants(owned, [current.id]) if expand else []:
            if t.id not in found:
                found[t.id] = t
                frontier.append((t, False))
    return list(found.values())
