"""Idempotency keys: the first response for a key and body is replayed for 24 hours.

- same key, same body, first finished: the stored response is replayed;
- same key while the first is in flight: Conflict (409);
- same key, another body: InvalidInput (422);
- a key whose 24 hours are over is free again, whatever it held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sculptops.domain.errors import Conflict, InvalidInput

KEY_TTL = timedelta(hours=24)
_KEY_RE = re.compile(r"[A-Za-z0-9_.:-]{1,255}")


@dataclass(frozen=True)
class IdempotentRecord:
    fingerprint: str
    in_flight: bool
    # Stored to the second (it is the table's TTL attribute too).
    expires: datetime
    status: int | None = None
    body: str | None = None

    def expired(self, now: datetime) -> bool:
        """Over once `now` is in a later second than `expires`."""
        return int(self.expires.timestamp()) < int(now.timestamp())


class Verdict(Enum):
    CLAIM = "claim"  # the key is free (never used, released, or expired): take it
    REPLAY = "replay"  # the first request finished with this very body: answer as it did


def verdict(held: IdempotentRecord | None, fingerprint: str, now: datetime) -> Verdict:
    """What a request with `fingerprint` does about the record that holds its key.

    InvalidInput when the key was used with another body; Conflict while the first is in flight.
    """
    if held is None or held.expired(now):
        return Verdict.CLAIM
    if held.fingerprint != fingerprint:
        raise InvalidInput("Idempotency-Key", "was already used with a different request body")
    if held.in_flight or held.status is None or held.body is None:
        raise in_progress()
    return Verdict.REPLAY


def in_progress() -> Conflict:
    return Conflict("a request with this Idempotency-Key is still in progress")


def validate_key(key: str) -> str:
    if not _KEY_RE.fullmatch(key):
        raise InvalidInput("Idempotency-Key", "1-255 characters: letters, digits, _ . : -")
    return key
