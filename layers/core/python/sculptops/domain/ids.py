"""Identifiers that sort by creation time (so listing newest-first needs no extra index)."""

from __future__ import annotations

import re
import secrets
import time


def sortable_id(prefix: str, now_ms: int | None = None) -> str:
    """`prefix_` + 12 hex digits of milliseconds + 12 random hex digits."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{prefix}_{ms:012x}{secrets.token_hex(6)}"


def is_id(value: str, prefix: str) -> bool:
    return re.fullmatch(rf"{re.escape(prefix)}_[0-9a-f]{{24}}", value) is not None
