"""Idempotency-Key handling, independent of HTTP: the first outcome is kept and replayed.

- same key, same body, first finished: the stored response is replayed;
- same key while the first is in flight: Conflict (409);
- same key, another body: InvalidInput (422);
- keys expire after 24 hours. A first request that fails releases the key, so a retry runs.

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
from typing import Any

from sculptops.domain.errors import Conflict, InvalidInput
from sculptops.domain.idempotency import KEY_TTL, validate_key
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
        held = self._store.begin(scoped, digest, now, now + KEY_TTL)
        if held is not None:
            if held.fingerprint != digest:
                raise InvalidInput(
                    "Idempotency-Key", "was already used with a different request body"
                )
            if held.in_flight or held.status is None or held.body is None:
                raise Conflict("a request with this Idempotency-Key is still in progress")
            return Outcome(status=held.status, body=held.body, replayed=True)
        try:
            status, payload = action()
        except BaseException:
            self._store.release(scoped)
            raise
        self._store.complete(scoped, status, payload)
        return Outcome(status=status, body=payload, replayed=False)
