"""TokenStore on DynamoDB: primary key = digest (strongly consistent GetItem), GSI by owner."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.errors import Conflict
from sculptops.domain.identity import CredentialKind
from sculptops.domain.roles import Role
from sculptops.domain.rotation import IPS_KEPT
from sculptops.domain.tokens import StoredToken, TokenPage


def stored_token(item: Any) -> StoredToken:
    """A token item as the domain sees it."""
    return StoredToken(
        digest=item.digest,
        id=item.id,
        kind=CredentialKind(item.kind),
        owner=item.owner,
        name=item.name,
        created_at=item.created_at,
        expires_at=item.expires_at,
        tenant=item.tenant,
        ceiling=Role(item.ceiling) if item.ceiling else None,
        last_used_at=item.last_used_at,
        created_by=item.created_by,
        last_used_ips=tuple(str(i) for i in (item.last_used_ips or ()))[:IPS_KEPT],
        family=item.family,
        superseded_by=item.superseded_by,
        valid_until=item.valid_until,
        # An item stored before lineage existed has none: it behaves as before (created_by).
        lineage=tuple(str(i) for i in item.lineage) if item.lineage is not None else None,
        lineage_families=tuple(str(i) for i in (item.lineage_families or ())),
    )


def token_item(model: Any, token: StoredToken) -> Any:
    """A new token's item (its use is recorded later, by `record_use`)."""
    return model(
        token.digest,
        id=token.id,
        kind=token.kind.value,
        owner=token.owner,
        name=token.name,
        created_at=token.created_at,
        expires_at=token.expires_at,
        tenant=token.tenant,
        ceiling=token.ceiling.value if token.ceiling else None,
        created_by=token.created_by,
        family=token.family,
        lineage=list(token.lineage) if token.lineage is not None else None,
        lineage_families=list(token.lineage_families) or None,
        expires_ttl=int(token.expires_at.timestamp()) if token.expires_at else None,
    )


class DynamoTokenStore:
    def __init__(self, model: Any) -> None:
        self._m = model

    def _to_domain(self, item: Any) -> StoredToken:
        return stored_token(item)

    def warm(self) -> None:
        """Create the DynamoDB client now (pynamodb makes it on first use)."""
        self._m._get_connection().connection.client  # noqa: B018 - the access creates it

    def get(self, digest: str) -> StoredToken | None:
        with translated():
            try:
                item = self._m.get(digest, consistent_read=True)
            except self._m.DoesNotExist:
                return None
        return self._to_domain(item)

    def put(self, token: StoredToken) -> None:
        item = token_item(self._m, token)
        with translated():
            try:
                item.save(condition=self._m.digest.does_not_exist())
            except PutError as exc:
                if is_conditional_failure(exc):
                    raise Conflict("token collision; retry") from exc
                raise

    def list_for_owner(self, owner: str, cursor: str | None, limit: int) -> TokenPage:
        # The cursor is the last token id seen: it names no digest, unlike a LastEvaluatedKey.
        condition = self._m.id < cursor if cursor else None
        with translated():
            items = list(
                self._m.by_owner.query(
                    owner,
                    range_key_condition=condition,
                    scan_index_forward=False,
                    limit=limit + 1,
                    page_size=limit + 1,
                )
            )
        tokens = [self._to_domain(i) for i in items[:limit]]
        next_cursor = tokens[-1].id if len(items) > limit else None
        return TokenPage(tokens=tokens, next_cursor=next_cursor)

    def find(self, owner: str, token_id: str) -> StoredToken | None:
        with translated():
            items = list(self._m.by_owner.query(owner, range_key_condition=self._m.id == token_id))
        return self._to_domain(items[0]) if items else None

    def delete(self, token: StoredToken) -> bool:
        item = self._m(token.digest)
        with translated():
            try:
                item.delete(condition=self._m.owner == token.owner)
            except DeleteError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def delete_many(self, tokens: Iterable[StoredToken]) -> int:
        count = 0
        with translated(), self._m.batch_write() as batch:
            for token in tokens:
                batch.delete(self._m(token.digest))
                count += 1
        return count

    def shorten_overlap(self, token: StoredToken, until: datetime) -> bool:
        m = self._m
        if token.superseded_by is None:
            return False
        condition = (
            m.digest.exists() & (m.superseded_by == token.superseded_by) & (m.valid_until > until)
        )
        with translated():
            try:
                m(token.digest).update(actions=[m.valid_until.set(until)], condition=condition)
            except UpdateError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def record_use(self, token: StoredToken, when: datetime, ips: tuple[str, ...]) -> bool:
        m = self._m
        seen = (
            m.last_used_at.does_not_exist()
            if token.last_used_at is None
            else m.last_used_at == token.last_used_at
        )
        actions = [m.last_used_at.set(when)]
        actions.append(m.last_used_ips.set(list(ips)) if ips else m.last_used_ips.remove())
        with translated():
            try:
                # Optimistic: only over the use that was read, and never resurrecting a token
                # deleted in the meantime.
                m(token.digest).update(actions=actions, condition=m.digest.exists() & seen)
            except UpdateError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True
