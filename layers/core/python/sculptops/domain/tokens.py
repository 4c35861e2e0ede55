"""Personal API tokens and agent tokens as stored: a digest, never the value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sculptops.domain.identity import CredentialKind
from sculptops.domain.roles import Role

NAME_MAX = 100
DAYS_MIN = 1
DAYS_MAX = 366


@dataclass(frozen=True)
class StoredToken:
    digest: str
    id: str
    kind: CredentialKind  # TOKEN or AGENT
    owner: str  # user id (personal) or agent id
    name: str
    created_at: datetime
    expires_at: datetime | None
    tenant: str | None = None  # the tenant it was created in (agents: the only tenant)
    ceiling: Role | None = None
    last_used_at: datetime | None = None
    created_by: str | None = None  # id of the token that created it, if any

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class TokenPage:
    tokens: list[StoredToken]
    next_cursor: str | None


def ceiling_rank(ceiling: Role | None) -> int:
    """A token without a ceiling acts with its owner's full role: it ranks as admin, the top."""
    return (ceiling or Role.ADMIN).rank


def may_manage(limit: Role | None, token: StoredToken) -> bool:
    """Whether a credential whose ceiling is `limit` may list, delete, rotate or revoke `token`.

    `limit` None means no limit: a JWT session or a token without a ceiling manages them all.
    """
    return limit is None or ceiling_rank(token.ceiling) <= limit.rank


def descendants(tokens: Iterable[StoredToken], roots: Iterable[str]) -> list[StoredToken]:
    """Every token minted, directly or through others, by a token whose id is in `roots`.

    The roots themselves are not included; a cycle (impossible by construction) cannot loop.
    """
    children: dict[str, list[StoredToken]] = {}
    for token in tokens:
        if token.created_by is not None:
            children.setdefault(token.created_by, []).append(token)
    seen: set[str] = set(roots)
    frontier = list(seen)
    found: list[StoredToken] = []
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child.id not in seen:
                seen.add(child.id)
                found.append(child)
                frontier.append(child.id)
    return found
