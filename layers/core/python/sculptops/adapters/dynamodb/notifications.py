"""NotificationStore on DynamoDB: a user's notices in their own partition of the identity table,
newest first; a notice written once per key is one transaction with its key's item, conditional
on the key being new (items: `governance_items`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from sculptops.adapters.dynamodb.errors import translated
from sculptops.adapters.dynamodb.governance_items import (
    conditional_only,
    newest_first,
    notice_item,
    notice_of,
)
from sculptops.domain.governance import Notification, NotificationPage


class DynamoNotificationStore:
    def __init__(self, identity: Any, connection: Connection, retention_days: int) -> None:
        self._m = identity
        self._conn = connection
        self._retention = timedelta(days=retention_days)

    def put(self, notice: Notification, once_key: str | None = None) -> bool:
        m = self._m
        item = notice_item(m, notice, self._retention)
        if once_key is None:
            with translated():
                item.save()
            return True
        key = m(
            f"USER#{notice.user_id}#NOTE_ONCE",
            once_key,
            target_id=notice.id,
            expires_ttl=item.expires_ttl,
        )
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.save(key, condition=m.pk.does_not_exist())
                tx.save(item)
        except TransactWriteError as exc:
            if conditional_only(exc):
                return False
            raise
        return True

    def list_for_user(self, user_id: str, cursor: str | None, limit: int) -> NotificationPage:
        notes: list[Notification] = []
        with translated():
            for item in newest_first(self._m, f"USER#{user_id}#NOTE", cursor):
                if len(notes) == limit:
                    return NotificationPage(notes, notes[-1].id)
                notes.append(notice_of(item, user_id))
        return NotificationPage(notes, None)
