"""The executions table's items, shared by the execution store and the log store.

Layout (see infra/tables.yml): one partition per execution, `pk` = tenant#id; log chunks at
`sk` = L#<last seq, 12 digits>, the head (the run's state) at `sk` = Z, after them, so that one
Query from a reader's cursor to `Z` returns new lines and the current state together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from sculptops.adapters.dynamodb import readback as rb
from sculptops.adapters.dynamodb.errors import translated
from sculptops.domain.executions import Execution, Status, Step, allowed_from
from sculptops.domain.logs import Level, LogLine

HEAD = "Z"
CHUNK = "L#"
RUNNING_SHARD = "running"
UNREADABLE_LINE = "SculptOps: this stored log line cannot be read"


def pk(tenant: str, execution_id: str) -> str:
    return f"{tenant}#{execution_id}"


def chunk_sk(last_seq: int) -> str:
    return f"{CHUNK}{last_seq:012d}"


def transaction_conflict(exc: TransactWriteError) -> bool:
    """A transaction refused by one of its conditions (or a concurrent one)."""
    return exc.cause_response_code == "TransactionCanceledException"


def status_in(model: Any, statuses: Iterable[Status]) -> Any:
    """A condition: the stored status is one of `statuses`."""
    values = sorted(s.value for s in statuses)
    if len(values) == 1:
        return model.status == values[0]
    return model.status.is_in(*values)


def may_write(model: Any, step: Step, agent_id: str | None = None) -> Any:
    """The write condition of a step, from the domain's table (and its holder, if given)."""
    condition = model.pk.exists() & status_in(model, allowed_from(step))
    if agent_id is not None:
        condition = condition & (model.agent_id == agent_id)
    return condition


def head(model: Any, tenant: str, execution_id: str) -> Any:
    return model(pk(tenant, execution_id), HEAD)


def get(model: Any, tenant: str, execution_id: str) -> Execution | None:
    """Strongly consistent read of the head."""
    with translated():
        try:
            item = model.get(pk(tenant, execution_id), HEAD, consistent_read=True)
        except model.DoesNotExist:
            return None
    return to_execution(item)


# ---- heads ----


def _vars(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("extra_vars is not an object")
    return value


def _require(item: Any, *names: str) -> None:
    for name in names:
        if not isinstance(getattr(item, name, None), str):
            raise ValueError(f"no {name}")


def _plain(item: Any, name: str) -> str:
    """One string attribute of a broken item, or "" when that one is broken too."""
    value = getattr(item, name, None)
    return rb.text(value) if isinstance(value, str) else ""


def to_execution(item: Any) -> Execution:
    """The stored head as a domain object; a placeholder when it cannot be read whole."""
    try:
        if item.broken:
            raise ValueError("unreadable attributes")
        _require(item, "id", "tenant", "playbook_id", "inventory_id", "triggered_by")
        if not isinstance(item.created_at, datetime):
            raise ValueError("no created_at")
        return Execution(
            id=rb.text(item.id),
            tenant=rb.text(item.tenant),
            status=Status(item.status),
            playbook_id=rb.text(item.playbook_id),
            inventory_id=rb.text(item.inventory_id),
            created_at=item.created_at,
            triggered_by=rb.text(item.triggered_by),
            credential_kind=rb.text(item.credential_kind),
            credential_id=rb.text_or_none(item.credential_id),
            extra_vars=_vars(rb.load_json(item.extra_vars, {})),
            tags=[rb.text(t) for t in item.tags or []],
            limit=rb.text_or_none(item.host_limit),
            started_at=item.started_at,
            finished_at=item.finished_at,
            exit_code=int(item.exit_code) if item.exit_code is not None else None,
            agent_id=rb.text_or_none(item.agent_id),
            lease_expires_at=item.lease_expires_at,
            cancel_requested=bool(item.cancel_requested),
            log_next_seq=int(item.log_next_seq or 1),
            error=rb.text_or_none(item.error),
            log_written_at=item.log_written_at,
        )
    except rb.CONVERSION_ERRORS as exc:
        rb.unreadable("execution", exc)
        return _placeholder(item)


def _placeholder(item: Any) -> Execution:
    """What can be read of a broken head, with status `unreadable`: listed, deletable."""
    tenant, _, from_key = rb.text(item.pk).partition("#")
    return Execution(
        id=rb.text(item.id or from_key),
        tenant=tenant,
        status=Status.UNREADABLE,
        playbook_id=_plain(item, "playbook_id"),
        inventory_id=_plain(item, "inventory_id"),
        created_at=rb.when(item.created_at),
        triggered_by=_plain(item, "triggered_by"),
        credential_kind=_plain(item, "credential_kind"),
        finished_at=item.finished_at if isinstance(item.finished_at, datetime) else None,
        error="SculptOps: this run's stored record cannot be read; an admin may delete it",
    )


# ---- log chunks ----


def chunk(model: Any, tenant: str, execution_id: str, lines: list[LogLine]) -> Any:
    """One chunk item holding `lines` (consecutive, bounded by `domain.logs.chunked`)."""
    body = json.dumps([[ln.seq, ln.ts.isoformat(), ln.level.value, ln.line] for ln in lines])
    return model(
        pk(tenant, execution_id), chunk_sk(lines[-1].seq), first_seq=lines[0].seq, body=body
    )


def chunk_lines(item: Any) -> list[LogLine]:
    """The chunk's lines; a line that cannot be read is shown as such, never a failure."""
    try:
        rows = rb.load_json(item.body, [])
        if not isinstance(rows, list):
            raise TypeError("not a list")
    except rb.CONVERSION_ERRORS as exc:
        rb.unreadable("log chunk", exc)
        return []
    lines = []
    for row in rows:
        try:
            s, t, lv, text = row
            ts = datetime.fromisoformat(t)
            lines.append(LogLine(seq=int(s), ts=ts, level=Level(lv), line=rb.text(text)))
        except rb.CONVERSION_ERRORS as exc:
            seq = row[0] if isinstance(row, list) and row and type(row[0]) is int else None
            if seq is None:
                rb.unreadable("log line", exc)
                continue
            lines.append(LogLine(seq, rb.EPOCH, Level.ERROR, UNREADABLE_LINE))
    return lines
