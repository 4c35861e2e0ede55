"""EventPublisher on Amazon EventBridge: `events.put_events`, at most 10 entries a call.

Operators route the events (`source: sculptops`) to mail or chat with rules of their own. An
event says which token and whose, never a value or digest. Publishing is at most once: the
notice in the store is the record, and an entry EventBridge refused is logged and counted, not
retried on another day.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sculptops.domain.expiry_notices import OutboundEvent

log = logging.getLogger(__name__)

BATCH = 10  # PutEvents takes at most 10 entries


class EventBridgePublisher:
    def __init__(self, client: Callable[[], Any], bus_name: str) -> None:
        # A factory: the client is made on first publish, so that functions that never
        # publish (every one but two) pay nothing for it on their cold start.
        self._factory = client
        self._client: Any = None
        self._bus = bus_name

    def publish(self, events: Sequence[OutboundEvent]) -> int:
        """Put the events on the bus; returns how many EventBridge accepted."""
        accepted = 0
        for start in range(0, len(events), BATCH):
            batch = events[start : start + BATCH]
            entries = [
                {
                    "Source": e.source,
                    "DetailType": e.detail_type,
                    "Detail": json.dumps(e.detail, sort_keys=True),
                    "EventBusName": self._bus,
                }
                for e in batch
            ]
            try:
                if self._client is None:
                    self._client = self._factory()
                answer = self._client.put_events(Entries=entries)
            except Exception as exc:  # an unavailable bus must not undo the notices written
                log.warning("EventBridge put_events failed: %s", type(exc).__name__)
                continue
            failed = int(answer.get("FailedEntryCount") or 0)
            if failed:
                log.warning("EventBridge refused %d of %d events", failed, len(batch))
            accepted += len(batch) - failed
        return accepted


def eventbridge_client(region: str, endpoint: str | None = None) -> Any:
    import boto3

    return boto3.client("events", region_name=region, endpoint_url=endpoint)
