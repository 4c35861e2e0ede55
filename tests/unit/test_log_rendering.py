"""A log line reads the same in the JSON poll and in the SSE `data:` of a surface."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sculptops.domain.executions import Status
from sculptops.domain.logs import Level, LogLine
from sculptops.http.routers.executions import log_batch, sse_body
from sculptops.http.schemas import LogBatch
from sculptops.services.executions import LogView


def _view() -> LogView:
    line = LogLine(
        seq=1,
        ts=datetime(2026, 11, 23, 12, 0, 5, 250000, tzinfo=UTC),
        level=Level.OK,
        line="ok: [localhost]",
    )
    return LogView(lines=[line], next=1, complete=False, status=Status.RUNNING, poll_after_ms=500)


def _sse_data(body: bytes) -> dict[str, object]:
    data = next(row for row in body.decode().splitlines() if row.startswith("data: "))
    parsed: dict[str, object] = json.loads(data.removeprefix("data: "))
    return parsed


def test_canonical_surface_spells_ts_alike_in_the_poll_and_the_stream() -> None:
    # Given one line; When it is rendered by the JSON poll and by the SSE stream
    polled = json.loads(LogBatch.model_validate(log_batch(_view())).model_dump_json())
    streamed = _sse_data(sse_body(_view()))
    # Then both carry the same ISO-8601 text, in UTC with a Z
    assert polled["lines"][0]["ts"] == streamed["ts"] == "2026-11-23T12:00:05.250000Z"


def test_compatibility_surface_gives_epoch_seconds_in_the_stream() -> None:
    assert _sse_data(sse_body(_view(), epoch=True))["ts"] == 1795435205
