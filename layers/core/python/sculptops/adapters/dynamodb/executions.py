"""ExecutionStore on DynamoDB: every status transition is one conditional write.

Layout (see infra/tables.yml): one partition per execution, `pk` = tenant#id; log chunks at
`sk` = L#<last seq, 12 digits>, the head at `sk` = Z, after them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from sculptops.adapters.dynamodb import readback as rb
from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.errors import Conflict, NotFound
from sculptops.domain.executions import Execution, ExecutionPage, Status
from sculptops.domain.logs import Level, LogLine, LogPage, chunked

HEAD = "Z"
RUNNING_SHARD = "running"
UNREADABLE_LINE = "SculptOps: this stored log line cannot be read"


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


def chunk_sk(last_seq: int) -> str:
    return f"L#{last_seq:012d}"


def _pk(tenant: str, execution_id: str) -> str:
    return f"{tenant}#{execution_id}"


def _transaction_conflict(exc: TransactWriteError) -> bool:
    return exc.cause_response_code == "TransactionCanceledException"


class DynamoExecutionStore:
    def __init__(self, model: Any, connection: Connection) -> None:
        self._m = model
        self._conn = connection

    # ---- conversion ----

    @staticmethod
    def _execution(item: Any) -> Execution:
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
            )
        except rb.CONVERSION_ERRORS as exc:
            rb.unreadable("execution", exc)
            return DynamoExecutionStore._placeholder(item)

    @staticmethod
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

    def _chunk(self, tenant: str, execution_id: str, lines: list[LogLine]) -> Any:
        body = json.dumps([[ln.seq, ln.ts.isoformat(), ln.level.value, ln.line] for ln in lines])
        return self._m(
            _pk(tenant, execution_id),
            chunk_sk(lines[-1].seq),
            first_seq=lines[0].seq,
            body=body,
        )

    @staticmethod
    def _lines(item: Any) -> list[LogLine]:
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

    def _head(self, tenant: str, execution_id: str) -> Any:
        return self._m(_pk(tenant, execution_id), HEAD)

    # ---- reads ----

    def get(self, tenant: str, execution_id: str) -> Execution | None:
        with translated():
            try:
                item = self._m.get(_pk(tenant, execution_id), HEAD, consistent_read=True)
            except self._m.DoesNotExist:
                return None
        return self._execution(item)

    def _must(self, tenant: str, execution_id: str) -> Execution:
        execution = self.get(tenant, execution_id)
        if execution is None:
            raise NotFound(f"execution {execution_id} not found")
        return execution

    def list_for_tenant(
        self,
        tenant: str,
        status: Status | None,
        playbook_id: str | None,
        cursor: str | None,
        limit: int,
    ) -> ExecutionPage:
        m = self._m
        condition = None
        if status is not None:
            condition = m.status == status.value
        if playbook_id is not None:
            by_pb = m.playbook_id == playbook_id
            condition = by_pb if condition is None else condition & by_pb
        found: list[Execution] = []
        with translated():
            results = m.by_tenant.query(
                tenant,
                range_key_condition=(m.id < cursor) if cursor else None,
                filter_condition=condition,
                scan_index_forward=False,
                page_size=min(100, limit + 1) if condition is None else 100,
            )
            for item in results:
                found.append(self._execution(item))
                if len(found) > limit:
                    break
        page = found[:limit]
        return ExecutionPage(page, page[-1].id if len(found) > limit else None)

    def read_logs(self, tenant: str, execution_id: str, after: int, limit: int) -> LogPage:
        m = self._m
        lines: list[LogLine] = []
        head = None
        more = False
        with translated():
            # From the first chunk that can hold seq after+1, up to and including the head.
            results = m.query(
                _pk(tenant, execution_id),
                m.sk.between(chunk_sk(after + 1), HEAD),
                consistent_read=True,
                page_size=3,
            )
            for item in results:
                if item.sk == HEAD:
                    head = item
                    break
                if len(lines) >= limit:
                    more = True  # a further chunk: more lines than this page holds
                    break
                lines.extend(ln for ln in self._lines(item) if ln.seq > after)
                if len(lines) > limit:
                    more = True
                    break
        execution = self._must(tenant, execution_id) if head is None else self._execution(head)
        return LogPage(lines=lines[:limit], execution=execution, more=more or len(lines) > limit)

    # ---- deletion ----

    def delete(self, tenant: str, execution_id: str) -> bool:
        """The log chunks, then the head, on the condition that its status is the one read.

        Chunks first: if this fails half-way, the run is still listed and a retry finishes the
        job; a finished run never gains chunks again.
        """
        m = self._m
        with translated():
            try:
                head = m.get(_pk(tenant, execution_id), HEAD, consistent_read=True)
            except m.DoesNotExist:
                return False
        current = self._execution(head)
        if not current.status.terminal:
            raise Conflict(f"execution {execution_id} is {current.status.value}: cancel it first")
        condition = m.pk.exists()
        if isinstance(head.status, str) and "status" not in head.broken:
            condition = condition & (m.status == head.status)
        with translated():
            chunks = m.query(
                _pk(tenant, execution_id),
                m.sk.startswith("L#"),
                consistent_read=True,
                attributes_to_get=["pk", "sk"],
            )
            with m.batch_write() as batch:
                for chunk in chunks:
                    batch.delete(chunk)
            try:
                self._head(tenant, execution_id).delete(condition=condition)
            except DeleteError as exc:
                if is_conditional_failure(exc):
                    raise Conflict(f"execution {execution_id} changed; retry") from exc
                raise
        return True

    # ---- transitions ----

    def create(self, execution: Execution) -> None:
        item = self._head(execution.tenant, execution.id)
        item.tenant = execution.tenant
        item.id = execution.id
        item.status = execution.status.value
        item.playbook_id = execution.playbook_id
        item.inventory_id = execution.inventory_id
        item.created_at = execution.created_at
        item.triggered_by = execution.triggered_by
        item.credential_kind = execution.credential_kind
        item.credential_id = execution.credential_id
        item.extra_vars = json.dumps(execution.extra_vars)
        item.tags = execution.tags
        item.host_limit = execution.limit
        item.queue = execution.tenant
        item.log_next_seq = 1
        with translated():
            try:
                item.save(condition=self._m.pk.does_not_exist())
            except PutError as exc:
                if is_conditional_failure(exc):
                    raise Conflict("execution id collision; retry") from exc
                raise

    def _update(
        self, tenant: str, execution_id: str, actions: list[Any], condition: Any
    ) -> Execution | None:
        """One conditional UpdateItem; None when the condition does not hold."""
        item = self._head(tenant, execution_id)
        with translated():
            try:
                item.update(actions=actions, condition=self._m.pk.exists() & condition)
            except UpdateError as exc:
                if is_conditional_failure(exc):
                    return None
                raise
        return self._execution(item)

    def claim_next(
        self, tenant: str, agent_id: str, now: datetime, lease_until: datetime
    ) -> Execution | None:
        m = self._m
        with translated():
            candidates = [i.id for i in m.queued.query(tenant, limit=10, page_size=10)]
        for execution_id in candidates:
            claimed = self._update(
                tenant,
                execution_id,
                [
                    m.status.set(Status.RUNNING.value),
                    m.started_at.set(now),
                    m.agent_id.set(agent_id),
                    m.lease_expires_at.set(lease_until),
                    m.lease_epoch.set(int(lease_until.timestamp())),
                    m.lease_shard.set(RUNNING_SHARD),
                    m.queue.remove(),
                ],
                m.status == Status.QUEUED.value,
            )
            if claimed is not None:
                return claimed
        return None

    def heartbeat(
        self, tenant: str, execution_id: str, agent_id: str, lease_until: datetime
    ) -> Execution:
        m = self._m
        done = self._update(
            tenant,
            execution_id,
            [m.lease_expires_at.set(lease_until), m.lease_epoch.set(int(lease_until.timestamp()))],
            (m.status == Status.RUNNING.value) & (m.agent_id == agent_id),
        )
        if done is None:
            current = self._must(tenant, execution_id)
            raise Conflict(f"execution {execution_id} is {current.status.value}, not running here")
        return done

    def finish(
        self,
        tenant: str,
        execution_id: str,
        agent_id: str,
        status: Status,
        exit_code: int,
        now: datetime,
    ) -> Execution:
        m = self._m
        done = self._update(
            tenant,
            execution_id,
            [
                m.status.set(status.value),
                m.finished_at.set(now),
                m.exit_code.set(exit_code),
                m.lease_shard.remove(),
                m.lease_epoch.remove(),
            ],
            (m.status == Status.RUNNING.value) & (m.agent_id == agent_id),
        )
        if done is None:
            current = self._must(tenant, execution_id)
            raise Conflict(f"execution {execution_id} is already {current.status.value}")
        return done

    def cancel(self, tenant: str, execution_id: str, now: datetime) -> Execution:
        m = self._m
        for _ in range(3):
            current = self._must(tenant, execution_id)
            if current.status.terminal:
                raise Conflict(f"execution {execution_id} is already {current.status.value}")
            if current.status is Status.QUEUED:
                done = self._update(
                    tenant,
                    execution_id,
                    [
                        m.status.set(Status.CANCELLED.value),
                        m.finished_at.set(now),
                        m.cancel_requested.set(True),
                        m.queue.remove(),
                    ],
                    m.status == Status.QUEUED.value,
                )
            else:
                done = self._update(
                    tenant,
                    execution_id,
                    [m.cancel_requested.set(True)],
                    m.status == Status.RUNNING.value,
                )
            if done is not None:
                return done
        raise Conflict(f"execution {execution_id} changed while cancelling; retry")

    def expired_leases(self, now: datetime, limit: int) -> list[Execution]:
        m = self._m
        with translated():
            keys = list(
                m.leases.query(RUNNING_SHARD, m.lease_epoch < int(now.timestamp()), limit=limit)
            )
        found = []
        for key in keys:
            tenant, _, execution_id = key.pk.partition("#")
            execution = self.get(tenant, execution_id)
            if execution is not None and execution.status is Status.RUNNING:
                found.append(execution)
        return found

    def fail_expired(self, execution: Execution, now: datetime, message: str) -> bool:
        m = self._m
        for _ in range(3):
            current = self.get(execution.tenant, execution.id)
            if (
                current is None
                or current.status is not Status.RUNNING
                or current.lease_expires_at is None
                or current.lease_expires_at >= now
            ):
                return False
            seq = current.log_next_seq
            line = LogLine(seq=seq, ts=now, level=Level.ERROR, line=message)
            try:
                with translated(), TransactWrite(connection=self._conn) as tx:
                    tx.update(
                        self._head(execution.tenant, execution.id),
                        actions=[
                            m.status.set(Status.FAILED.value),
                            m.finished_at.set(now),
                            m.error.set(message),
                            m.log_next_seq.set(seq + 1),
                            m.lease_shard.remove(),
                            m.lease_epoch.remove(),
                        ],
                        condition=(m.status == Status.RUNNING.value)
                        & (m.lease_epoch < int(now.timestamp()) + 1)
                        & (m.log_next_seq == seq),
                    )
                    tx.save(
                        self._chunk(execution.tenant, execution.id, [line]),
                        condition=m.sk.does_not_exist(),
                    )
                return True
            except TransactWriteError as exc:
                if not _transaction_conflict(exc):
                    raise
        return False

    def append_logs(
        self, tenant: str, execution_id: str, agent_id: str, first_seq: int, lines: list[LogLine]
    ) -> int:
        m = self._m
        last = first_seq + len(lines) - 1
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.update(
                    self._head(tenant, execution_id),
                    actions=[m.log_next_seq.set(last + 1)],
                    condition=(m.status == Status.RUNNING.value)
                    & (m.agent_id == agent_id)
                    & (m.log_next_seq == first_seq),
                )
                for chunk in chunked(lines):
                    tx.save(
                        self._chunk(tenant, execution_id, chunk), condition=m.sk.does_not_exist()
                    )
            return last + 1
        except TransactWriteError as exc:
            if not _transaction_conflict(exc):
                raise
        current = self._must(tenant, execution_id)
        if last < current.log_next_seq and current.agent_id == agent_id:
            return current.log_next_seq  # a resent batch: already stored, stored once
        if current.status is not Status.RUNNING or current.agent_id != agent_id:
            raise Conflict(f"execution {execution_id} is {current.status.value}, not running here")
        raise Conflict(f"expected first_seq {current.log_next_seq}, got {first_seq}")
