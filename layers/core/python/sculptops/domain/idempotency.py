"""Idempotency keys: the first response for a key and body is replayed for 24 hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sculptops.domain.errors import InvalidInput

KEY_TTL = timedelta(hours=24)
_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")


@dataclass(frozen=True)
class IdempotentRecord:
    fingerprint: str
    in_flight: bool
    status: int | None = None
    body: str | None = None


def validate_key(key: str) -> str:
    if not _KEY_RE.match(key):
        raise InvalidInput("Idempotency-Key", "1-255 characters: letters, digits, _ . : -")
    return key
