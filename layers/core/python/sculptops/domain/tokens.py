"""Personal API tokens and agent tokens as stored: a digest, never the value."""

from __future__ import annotations

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
