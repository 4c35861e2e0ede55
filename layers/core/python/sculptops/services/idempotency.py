"""Idempotency-Key handling, independent of HTTP: the first outcome is kept and replayed.

What a held key means (replay, 409, 422, free again after 24 hours) is
`domain.idempotency.verdict`'s; this service claims the key, or reads who holds it, and acts on
that. A first request that fails releases the key, so a retry runs.

A replay is authorized like a first request (DESIGN §3): the route checks the caller's right to
the operation before `run`, since a replay skips `action` and every check inside it. Keys are
scoped per user (tenant, subject, operation), not per credential, as Stripe scopes them per
account: a client that retries with its rotated token, or a user who retries from the CLI what the
console sent, gets the first answer rather than a second run. The replayed body is one the
authorized caller could read anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sculptops.domain.idempotency import (
    KEY_TTL,
    IdempotentRecord,
    Verdict,
    in_progress,
    validate_key,
    verdict,
)
from sculptops.domain.identity import Caller
from sculptops.ports import Clock, IdempotencyStore


@dataclass(frozen=True)
class Outcome:
    status: int
    body: str
    replayed: bool


def fingerprint(operation: str, body: Any) -> str:
    canonical = json.dumps([operation, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyService:
    def __init__(self, *, store: IdempotencyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def run(
        self,
        caller: Caller,
        key: str,
        operation: str,
        body: Any,
        action: Callable[[], tuple[int, str]],
    ) -> Outcome:
        """Run `action` once per (tenant, user, key); replay its (status, body) afterwards.

        Authorize the caller for `operation` before calling this: a replay does not run `action`.
        """
        validate_key(key)
        scoped = f"{caller.tenant}|{caller.subject}|{operation}|{key}"
        digest = fingerprint(operation, body)
        now = self._clock.now()
        mine = IdempotentRecord(fingerprint=digest, in_flight=True, expires=now + KEY_TTL)
        first = self._claim(scoped, mine, now)
        if first is not None:
            return first
        try:
            status, payload = action()
        except BaseException:
            self._store.release(scoped)
            raise
        self._store.complete(scoped, status, payload)
        return Outcome(status=status, body=payload, replayed=False)

    def _claim(self, key: str, mine: IdempotentRecord, now: datetime) -> Outcome | None:
        """Take the key for this request (None), or the first request's answer to replay; the
        verdict's error otherwise. Bounded: a key that was released or reclaimed in between
        is tried again, three times in all."""
        replacing: IdempotentRecord | None = None
        for _ in range(3):
            if self._store.claim(key, mine, replacing):
                return None
            held = self._store.get(key)
            if verdict(held, mine.fingerprint, now) is Verdict.REPLAY:
                assert held is not None and held.status is not None and held.body is not None
                return Outcome(status=held.status, body=held.body, replayed=True)
            replacing = held  # free again: released (None) or expired (reclaim that record)
        raise in_progress()
