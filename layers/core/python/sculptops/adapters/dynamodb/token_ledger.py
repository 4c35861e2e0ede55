"""TokenLedger on DynamoDB: token writes (tokens table) that carry their audit event and the
owner's notice (identity table) in one transaction, and the per-tenant token index (items:
`governance_items`; the token item: `tokens.token_item`/`stored_token`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from sculptops.adapters.dynamodb.auth_items import user_pk
from sculptops.adapters.dynamodb.errors import translated
from sculptops.adapters.dynamodb.governance_items import (
    TENANT_SK,
    USER_SK,
    canceled,
    conditional_only,
    event_item,
    link_item,
    notice_item,
)
from sculptops.adapters.dynamodb.tokens import stored_token, token_item
from sculptops.domain.errors import Conflict
from sculptops.domain.governance import AuditEvent, Notification
from sculptops.domain.token_format import TokenHasher
from sculptops.domain.tokens import StoredToken, TokenPage

# DynamoDB's limit on the items of one TransactWriteItems.
TRANSACTION_MAX = 100


class DynamoTokenLedger:
    def __init__(
        self,
        identity: Any,
        token: Any,
        connection: Connection,
        retention_days: int,
        keys: TokenHasher,
    ) -> None:
        self._keys = keys  # users are keyed by owner key (auth_items.user_pk)
        self._m = identity
        self._t = token
        self._conn = connection
        self._retention = timedelta(days=retention_days)

    def create(self, token: StoredToken, tenants: Iterable[str], event: AuditEvent) -> None:
        t = self._t
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.save(token_item(t, token), condition=t.digest.does_not_exist())
                for tenant in tenants:
                    tx.save(link_item(self._m, tenant, token))
                tx.save(event_item(self._m, event, self._retention))
        except TransactWriteError as exc:
            if canceled(exc):
                raise Conflict("token collision; retry") from exc
            raise

    def revoke(
        self,
        tokens: Sequence[StoredToken],
        events: Sequence[AuditEvent],
        notice: Notification | None = None,
        *,
        unlink_from: Iterable[str] = (),
    ) -> bool:
        m, t = self._m, self._t
        tenants = list(unlink_from)
        size = len(tokens) * (1 + len(tenants)) + len(events) + (notice is not None)
        if size > TRANSACTION_MAX:
            raise ValueError(f"a revocation of {size} items exceeds one transaction")

        def fill(tx: TransactWrite) -> None:
            for token in tokens:
                tx.delete(t(token.digest), condition=t.owner == token.owner)
                for tenant in tenants:
                    tx.delete(m(f"TENANT#{tenant}", f"TOKEN#{token.id}"))
            for event in events:
                tx.save(event_item(m, event, self._retention))
            if notice is not None:
                tx.save(notice_item(m, notice, self._retention))

        return self._commit(fill)

    def block(
        self,
        tenant: str,
        token: StoredToken,
        token_ids: Collection[str],
        events: Sequence[AuditEvent],
        notice: Notification | None = None,
    ) -> bool:
        m, t = self._m, self._t
        # The tenant item, the check of the token, the notice: the rest of one transaction
        # holds events; any more follow in batches of their own.
        room = TRANSACTION_MAX - 2 - (notice is not None)
        first, rest = list(events[:room]), list(events[room:])

        def fill(tx: TransactWrite) -> None:
            tx.update(
                m(f"TENANT#{tenant}", TENANT_SK),
                actions=[m.blocked_tokens.add(set(token_ids) | {token.id})],
                condition=m.pk.exists() & ~m.blocked_tokens.contains(token.id),
            )
            tx.condition_check(t, token.digest, condition=t.owner == token.owner)
            for event in first:
                tx.save(event_item(m, event, self._retention))
            if notice is not None:
                tx.save(notice_item(m, notice, self._retention))

        if not self._commit(fill):
            return False
        for start in range(0, len(rest), TRANSACTION_MAX):
            with translated(), TransactWrite(connection=self._conn) as tx:
                for event in rest[start : start + TRANSACTION_MAX]:
                    tx.save(event_item(m, event, self._retention))
        return True

    def rotate(
        self, old: StoredToken, new: StoredToken, tenants: Iterable[str], event: AuditEvent
    ) -> bool:
        m, t = self._m, self._t

        def fill(tx: TransactWrite) -> None:
            tx.save(token_item(t, new), condition=t.digest.does_not_exist())
            tx.update(
                t(old.digest),
                actions=[
                    t.family.set(old.family_id),
                    t.superseded_by.set(old.superseded_by),
                    t.valid_until.set(old.valid_until),
                ],
                condition=t.digest.exists()
                & (t.owner == old.owner)
                & t.superseded_by.does_not_exist(),
            )
            for tenant in tenants:
                tx.save(link_item(m, tenant, new))
            tx.save(event_item(m, event, self._retention))

        return self._commit(fill)

    def _commit(self, fill: Callable[[TransactWrite], None]) -> bool:
        """One transaction: False when only its conditions failed (nothing written), Conflict
        when it was cancelled for another reason (a concurrent write: retry)."""
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                fill(tx)
        except TransactWriteError as exc:
            if conditional_only(exc):
                return False
            if canceled(exc):
                raise Conflict("the token changed meanwhile; retry") from exc
            raise
        return True

    def revoke_all(self, user_id: str, when: datetime, event: AuditEvent) -> None:
        m = self._m
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.update(
                    m(user_pk(self._keys, user_id), USER_SK),
                    actions=[m.tokens_revoked_before.set(when)],
                    condition=m.pk.exists()
                    & (m.tokens_revoked_before.does_not_exist() | (m.tokens_revoked_before < when)),
                )
                tx.save(event_item(m, event, self._retention))
        except TransactWriteError as exc:
            if not conditional_only(exc):
                raise
            # The watermark is already later (a concurrent revoke-all): the tokens are revoked;
            # this request's intent is still recorded.
            with translated():
                event_item(m, event, self._retention).save()

    def link_tokens(self, tenant: str, tokens: Iterable[StoredToken]) -> None:
        with translated(), self._m.batch_write() as batch:
            for token in tokens:
                batch.save(link_item(self._m, tenant, token))

    def unlink_user(self, tenant: str, user_id: str) -> None:
        m = self._m
        with translated():
            links = [
                i
                for i in m.query(
                    f"TENANT#{tenant}", m.sk.startswith("TOKEN#"), consistent_read=True
                )
                if i.owner == user_id
            ]
            with m.batch_write() as batch:
                for link in links:
                    batch.delete(link)

    def tenant_tokens(self, tenant: str, cursor: str | None, limit: int) -> TokenPage:
        m, t = self._m, self._t
        condition = (
            m.sk.between("TOKEN#", f"TOKEN#{cursor}") if cursor else m.sk.startswith("TOKEN#")
        )
        with translated():
            links = list(
                m.query(
                    f"TENANT#{tenant}",
                    condition,
                    scan_index_forward=False,
                    consistent_read=True,
                    limit=limit + 2,
                    page_size=limit + 2,
                )
            )
            links = [i for i in links if i.sk != f"TOKEN#{cursor}"][: limit + 1]
            page = links[:limit]
            digests = [i.token_digest for i in page if i.token_digest]
            found = {
                item.digest: item
                for item in (t.batch_get(digests, consistent_read=True) if digests else [])
            }
        tokens = []
        for link in page:
            item = found.get(link.token_digest or "")
            if item is not None and f"TOKEN#{item.id}" == link.sk and item.owner == link.owner:
                tokens.append(stored_token(item))
        next_cursor = page[-1].sk.removeprefix("TOKEN#") if len(links) > limit else None
        return TokenPage(tokens=tokens, next_cursor=next_cursor)

    def tenant_token(self, tenant: str, token_id: str) -> StoredToken | None:
        m, t = self._m, self._t
        with translated():
            try:
                link = m.get(f"TENANT#{tenant}", f"TOKEN#{token_id}", consistent_read=True)
                item = t.get(link.token_digest, consistent_read=True)
            except (m.DoesNotExist, t.DoesNotExist):
                return None
        if item.id != token_id or item.owner != link.owner:
            return None
        return stored_token(item)
