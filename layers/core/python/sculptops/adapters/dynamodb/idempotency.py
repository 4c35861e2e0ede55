"""IdempotencyStore on DynamoDB: a conditional put claims a key; expired keys count as free."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.idempotency import IdempotentRecord


class DynamoIdempotencyStore:
    def __init__(self, model: Any) -> None:
        self._m = model

    def begin(
        self, key: str, fingerprint: str, now: datetime, expires: datetime
    ) -> IdempotentRecord | None:
        m = self._m
        item = m(key, fingerprint=fingerprint, in_flight=True, expires_ttl=int(expires.timestamp()))
        for _ in range(3):
            with translated():
                try:
                    item.save(
                        condition=m.key.does_not_exist() | (m.expires_ttl < int(now.timestamp()))
                    )
                    return None
                except PutError as exc:
                    if not is_conditional_failure(exc):
                        raise
                try:
                    held = m.get(key, consistent_read=True)
                except m.DoesNotExist:
                    continue  # released in between: try to claim it again
            return IdempotentRecord(
                fingerprint=held.fingerprint,
                in_flight=bool(held.in_flight),
                status=int(held.status) if held.status is not None else None,
                body=held.body,
            )
        return IdempotentRecord(fingerprint=fingerprint, in_flight=True)

    def complete(self, key: str, status: int, body: str) -> None:
        m = self._m
        with translated():
            m(key).update(
                actions=[m.in_flight.set(False), m.status.set(status), m.body.set(body)],
                condition=m.key.exists(),
            )

    def release(self, key: str) -> None:
        with translated():
            self._m(key).delete()
