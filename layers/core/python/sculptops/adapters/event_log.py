"""EventPublisher for the local stack: each event as one log line, the latest kept in memory.

The local stack has no EventBridge; `SCULPTOPS_EVENTS=log` (which `sculptops serve` sets)
selects this publisher, and the dev route `GET /dev/events` shows what it recorded. An event
holds names and ids, never a token value or digest, so logging it is safe.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from sculptops.domain.expiry_notices import OutboundEvent

log = logging.getLogger("sculptops.events")

KEEP = 200


class LogEventPublisher:
    def __init__(self) -> None:
        self._recent: deque[OutboundEvent] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def publish(self, events: Sequence[OutboundEvent]) -> int:
        with self._lock:
            for event in events:
                self._recent.append(event)
                log.info(
                    "event %s %s %s",
                    event.source,
                    event.detail_type,
                    json.dumps(event.detail, sort_keys=True),
                )
        return len(events)

    def recent(self) -> list[dict[str, Any]]:
        """The latest events, oldest first, as EventBridge entries would show them."""
        with self._lock:
            return [
                {"source": e.source, "detail-type": e.detail_type, "detail": dict(e.detail)}
                for e in self._recent
            ]
