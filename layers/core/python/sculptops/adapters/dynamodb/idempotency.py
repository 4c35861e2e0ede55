"""IdempotencyStore on DynamoDB: conditional puts and consistent reads; the rules of a held key
(replay, 409, 422, reclaim once expired) are `domain.idempotency`'s."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.idempotency import IdempotentRecord


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


class DynamoIdempotencyStore:
    def __init__(self, model: Any) -> None:
        self._m = model

    def claim(self, key: str, record: IdempotentRecord, replacing: IdempotentRecord | None) -> bool:
        m = self._m
        item = m(
            key,
            fingerprint=record.fingerprint,
            in_flight=record.in_flight,
            status=record.status,
            body=record.body,
            expires_ttl=_epoch(record.expires),
        )
        if replacing is None:
            condition = m.key.does_not_exist()
        else:
            condition = (m.fingerprint == replacing.fingerprint) & (
                m.expires_ttl == _epoch(replacing.expires)
            )
        with translated():
            try:
                item.save(condition=condition)
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def get(self, key: str) -> IdempotentRecord | None:
        m = self._m
        with translated():
            try:
                held = m.get(key, consistent_read=True)
            except m.DoesNotExist:
                return None
        return IdempotentRecord(
            fingerprint=held.fingerprint,
            in_flight=bool(held.in_flight),
            expires=datetime.fromtimestamp(int(held.expires_ttl), UTC),
            status=int(held.status) if held.status is not None else None,
            body=held.body,
        )

    def complete(self, key: str, status: int, body: str) -> None:
        m = self._m
        with translated():
            try:
                m(key).update(
                    actions=[m.in_flight.set(False), m.status.set(status), m.body.set(body)],
                    condition=m.key.exists(),
                )
            except UpdateError as exc:
                if not is_conditional_failure(exc):
                    raise

    def release(self, key: str) -> None:
        with translated():
            self._m(key).delete()
