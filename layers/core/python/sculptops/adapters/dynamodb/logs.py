"""LogStore on DynamoDB: log chunks in the run's own partition, beside its head.

A batch is one transaction: the head's `log_next_seq` moves on, on the condition of the domain's
Step.APPEND_LOGS (running, on this agent) and of the batch starting at the next expected seq, and
its chunks are put, each only if new. A read is one Query from the cursor's chunk to the head.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from sculptops.adapters.dynamodb import execution_items as items
from sculptops.adapters.dynamodb.errors import translated
from sculptops.domain.errors import NotFound
from sculptops.domain.executions import Execution, Step
from sculptops.domain.logs import LogLine, LogPage, after_refused_batch, chunked


class DynamoLogStore:
    def __init__(self, model: Any, connection: Connection) -> None:
        self._m = model
        self._conn = connection

    def _must(self, tenant: str, execution_id: str) -> Execution:
        execution = items.get(self._m, tenant, execution_id)
        if execution is None:
            raise NotFound(f"execution {execution_id} not found")
        return execution

    def append_logs(
        self,
        tenant: str,
        execution_id: str,
        agent_id: str,
        first_seq: int,
        lines: list[LogLine],
        written_at: datetime | None = None,
    ) -> int:
        m = self._m
        last = first_seq + len(lines) - 1
        written = written_at or lines[-1].ts
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.update(
                    items.head(m, tenant, execution_id),
                    actions=[m.log_next_seq.set(last + 1), m.log_written_at.set(written)],
                    condition=items.may_write(m, Step.APPEND_LOGS, agent_id)
                    & (m.log_next_seq == first_seq),
                )
                for chunk in chunked(lines):
                    tx.save(
                        items.chunk(m, tenant, execution_id, chunk),
                        condition=m.sk.does_not_exist(),
                    )
            return last + 1
        except TransactWriteError as exc:
            if not items.transaction_conflict(exc):
                raise
        current = self._must(tenant, execution_id)
        return after_refused_batch(current, agent_id, first_seq, len(lines))

    def read_logs(self, tenant: str, execution_id: str, after: int, limit: int) -> LogPage:
        m = self._m
        lines: list[LogLine] = []
        head = None
        more = False
        with translated():
            # From the first chunk that can hold seq after+1, up to and including the head.
            results = m.query(
                items.pk(tenant, execution_id),
                m.sk.between(items.chunk_sk(after + 1), items.HEAD),
                consistent_read=True,
                page_size=3,
            )
            for item in results:
                if item.sk == items.HEAD:
                    head = item
                    break
                if len(lines) >= limit:
                    more = True  # a further chunk: more lines than this page holds
                    break
                lines.extend(ln for ln in items.chunk_lines(item) if ln.seq > after)
                if len(lines) > limit:
                    more = True
                    break
        # The head is read apart only when the page filled up before the Query reached it.
        execution = self._must(tenant, execution_id) if head is None else items.to_execution(head)
        return LogPage(lines=lines[:limit], execution=execution, more=more or len(lines) > limit)
