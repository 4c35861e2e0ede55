"""AuditLog on DynamoDB: a tenant's events in their own partition of the identity table, newest
first (items: `governance_items`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sculptops.adapters.dynamodb.errors import translated
from sculptops.adapters.dynamodb.governance_items import event_item, event_of, newest_first
from sculptops.domain.governance import AuditEvent, AuditPage, AuditType

# A filtered read of the audit log stops after this many items and returns a cursor.
SCAN_MAX = 2000


class DynamoAuditLog:
    def __init__(self, identity: Any, retention_days: int) -> None:
        self._m = identity
        self._retention = timedelta(days=retention_days)

    def put(self, *events: AuditEvent) -> None:
        with translated(), self._m.batch_write() as batch:
            for event in events:
                batch.save(event_item(self._m, event, self._retention))

    def list_events(
        self,
        tenant: str,
        cursor: str | None,
        limit: int,
        type_: AuditType | None,
        actor: str | None,
    ) -> AuditPage:
        events: list[AuditEvent] = []
        scanned = 0
        last: str | None = None
        with translated():
            for item in newest_first(self._m, f"TENANT#{tenant}#AUDIT", cursor):
                scanned += 1
                try:
                    event = event_of(item)
                except (ValueError, TypeError):
                    continue  # one unreadable item never breaks the list
                if (type_ is None or event.type is type_) and (
                    actor is None or event.actor.user_id == actor
                ):
                    if len(events) == limit:
                        return AuditPage(events, events[-1].id)
                    events.append(event)
                last = item.sk
                if scanned >= SCAN_MAX:
                    return AuditPage(events, last)
        return AuditPage(events, None)
