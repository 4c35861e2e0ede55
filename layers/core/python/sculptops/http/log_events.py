"""A run's log lines as the API shows them: a JSON poll batch, or the same batch as SSE.

One line reads the same in both on a surface: `ts` is ISO-8601 (UTC, `Z`) on /api/v1, and
epoch seconds on /api/..., as the older docs show it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi.sse import format_sse_event

from sculptops.domain.logs import LogLine
from sculptops.services.executions import LogView

SSE_MIN_RETRY_MS = 250


def log_event(ln: LogLine, epoch: bool) -> dict[str, Any]:
    """One log line; `epoch`: `ts` in epoch seconds, as the older docs show on /api/..."""
    ts: datetime | int = int(ln.ts.timestamp()) if epoch else ln.ts
    return {"seq": ln.seq, "line": ln.line, "level": ln.level.value, "ts": ts}


def log_batch(view: LogView, epoch: bool = False) -> dict[str, Any]:
    return {
        "lines": [log_event(ln, epoch) for ln in view.lines],
        "next": view.next,
        "complete": view.complete,
        "status": view.status.value,
        "poll_after_ms": view.poll_after_ms,
    }


def _iso(value: datetime) -> str:
    """As the JSON poll spells a time (pydantic): UTC with a `Z`, so both read the same."""
    return value.isoformat().replace("+00:00", "Z")


def sse_body(view: LogView, epoch: bool = False) -> bytes:
    """The batch as Server-Sent Events, one event per line (id = seq), the retry hint on the
    first of them; a batch without lines is the retry hint alone, so that a client that got
    nothing still learns when to come back.
    """
    retry = max(view.poll_after_ms, SSE_MIN_RETRY_MS)
    if not view.lines:
        return format_sse_event(retry=retry)
    events = []
    for n, ln in enumerate(view.lines):
        data = json.dumps(log_event(ln, epoch), default=_iso)
        events.append(
            format_sse_event(data_str=data, id=str(ln.seq), retry=retry if n == 0 else None)
        )
    return b"".join(events)
