"""TokenLookup on DynamoDB: BatchGetItem by digest, and the sparse by_expiry index."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sculptops.adapters.dynamodb.errors import translated
from sculptops.domain.identity import CredentialKind
from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken


def _token(item: Any) -> StoredToken:
    # Only what the notice job and the leak revocation use; the index projects no more.
    return StoredToken(
        digest=item.digest,
        id=item.id,
        kind=CredentialKind(item.kind),
        owner=item.owner,
        name=item.name,
        created_at=item.created_at,
        expires_at=item.expires_at,
        tenant=item.tenant,
        ceiling=Role(item.ceiling) if getattr(item, "ceiling", None) else None,
        created_by=getattr(item, "created_by", None),
        lineage=tuple(getattr(item, "lineage", None) or ()) or None,
    )


class DynamoTokenLookup:
    def __init__(self, model: Any) -> None:
        self._m = model

    def get_many(self, digests: Iterable[str]) -> list[StoredToken]:
        keys = sorted(set(digests))  # BatchGetItem refuses a key twice
        if not keys:
            return []
        with translated():
            items = list(self._m.batch_get(keys, consistent_read=True))
        return [_token(i) for i in items]

    def expiring_on(self, day: date) -> list[StoredToken]:
        found = []
        with translated():
            for item in self._m.by_expiry.query(day.isoformat(), page_size=500):
                try:
                    found.append(_token(item))
                except (ValueError, TypeError, AttributeError):
                    continue  # one unreadable item never stops the job
        return found
