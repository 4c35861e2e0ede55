"""ExecutionStore on DynamoDB: every status transition is one conditional write.

Which statuses a step may be written from is the domain's (`domain.executions.TRANSITIONS`); this
module translates that into condition expressions and SDK failures into domain errors. The item
layout, shared with the log store, is in `execution_items`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from sculptops.adapters.dynamodb import execution_items as items
from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.errors import Conflict, NotFound
from sculptops.domain.executions import (
    Execution,
    ExecutionPage,
    Status,
    Step,
    cancel_step,
    check_deletable,
    check_target,
    lease_expired,
    may,
    refused,
    target,
)
from sculptops.domain.logs import Level, LogLine


class DynamoExecutionStore:
    def __init__(self, model: Any, connection: Connection) -> None:
        self._m = model
        self._conn = connection

    # ---- reads ----

    def get(self, tenant: str, execution_id: str) -> Execution | None:
        return items.get(self._m, tenant, execution_id)

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
                found.append(items.to_execution(item))
                if len(found) > limit:
                    break
        page = found[:limit]
        return ExecutionPage(page, page[-1].id if len(found) > limit else None)

    def expired_leases(self, now: datetime, limit: int) -> list[Execution]:
        m = self._m
        with translated():
            keys = list(
                m.leases.query(
                    items.RUNNING_SHARD, m.lease_epoch < int(now.timestamp()), limit=limit
                )
            )
        found = []
        for key in keys:
            tenant, _, execution_id = key.pk.partition("#")
            execution = self.get(tenant, execution_id)
            if execution is not None and may(Step.EXPIRE, execution):
                found.append(execution)
        return found

    # ---- deletion ----

    def delete(self, tenant: str, execution_id: str) -> bool:
        """The log chunks, then the head, on the condition that its status is the one read.

        Chunks first: if this fails half-way, the run is still listed and a retry finishes the
        job; a finished run never gains chunks again.
        """
        m = self._m
        with translated():
            try:
                head = m.get(items.pk(tenant, execution_id), items.HEAD, consistent_read=True)
            except m.DoesNotExist:
                return False
        check_deletable(items.to_execution(head))
        condition = m.pk.exists()
        if isinstance(head.status, str) and "status" not in head.broken:
            condition = condition & (m.status == head.status)
        with translated():
            chunks = m.query(
                items.pk(tenant, execution_id),
                m.sk.startswith(items.CHUNK),
                consistent_read=True,
                attributes_to_get=["pk", "sk"],
            )
            with m.batch_write() as batch:
                for chunk in chunks:
                    batch.delete(chunk)
            try:
                items.head(m, tenant, execution_id).delete(condition=condition)
            except DeleteError as exc:
                if is_conditional_failure(exc):
                    raise Conflict(f"execution {execution_id} changed; retry") from exc
                raise
        return True

    # ---- transitions ----

    def create(self, execution: Execution) -> None:
        item = items.head(self._m, execution.tenant, execution.id)
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

    def _step(
        self,
        tenant: str,
        execution_id: str,
        step: Step,
        actions: list[Any],
        agent_id: str | None = None,
    ) -> Execution | None:
        """One conditional UpdateItem for `step`; None when the stored run does not allow it."""
        item = items.head(self._m, tenant, execution_id)
        with translated():
            try:
                item.update(actions=actions, condition=items.may_write(self._m, step, agent_id))
            except UpdateError as exc:
                if is_conditional_failure(exc):
                    return None
                raise
        return items.to_execution(item)

    def claim_next(
        self, tenant: str, agent_id: str, now: datetime, lease_until: datetime
    ) -> Execution | None:
        m = self._m
        with translated():
            candidates = [i.id for i in m.queued.query(tenant, limit=10, page_size=10)]
        for execution_id in candidates:
            claimed = self._step(
                tenant,
                execution_id,
                Step.CLAIM,
                [
                    m.status.set(target(Step.CLAIM).value),
                    m.started_at.set(now),
                    m.agent_id.set(agent_id),
                    m.lease_expires_at.set(lease_until),
                    m.lease_epoch.set(int(lease_until.timestamp())),
                    m.lease_shard.set(items.RUNNING_SHARD),
                    m.queue.remove(),
                ],
            )
            if claimed is not None:
                return claimed
        return None

    def heartbeat(
        self, tenant: str, execution_id: str, agent_id: str, lease_until: datetime
    ) -> Execution:
        m = self._m
        done = self._step(
            tenant,
            execution_id,
            Step.HEARTBEAT,
            [m.lease_expires_at.set(lease_until), m.lease_epoch.set(int(lease_until.timestamp()))],
            agent_id,
        )
        if done is None:
            raise refused(Step.HEARTBEAT, self._must(tenant, execution_id))
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
        done = self._step(
            tenant,
            execution_id,
            Step.FINISH,
            [
                m.status.set(check_target(Step.FINISH, status).value),
                m.finished_at.set(now),
                m.exit_code.set(exit_code),
                m.lease_shard.remove(),
                m.lease_epoch.remove(),
            ],
            agent_id,
        )
        if done is None:
            raise refused(Step.FINISH, self._must(tenant, execution_id))
        return done

    def cancel(self, tenant: str, execution_id: str, now: datetime) -> Execution:
        m = self._m
        for _ in range(3):
            step = cancel_step(self._must(tenant, execution_id))
            if step is Step.CANCEL:
                actions = [
                    m.status.set(target(step).value),
                    m.finished_at.set(now),
                    m.cancel_requested.set(True),
                    m.queue.remove(),
                ]
            else:
                actions = [m.cancel_requested.set(True)]
            done = self._step(tenant, execution_id, step, actions)
            if done is not None:
                return done
        raise Conflict(f"execution {execution_id} changed while cancelling; retry")

    def fail_expired(self, execution: Execution, now: datetime, message: str) -> bool:
        m = self._m
        for _ in range(3):
            current = self.get(execution.tenant, execution.id)
            if current is None or not lease_expired(current, now):
                return False
            seq = current.log_next_seq
            line = LogLine(seq=seq, ts=now, level=Level.ERROR, line=message)
            try:
                with translated(), TransactWrite(connection=self._conn) as tx:
                    tx.update(
                        items.head(m, execution.tenant, execution.id),
                        actions=[
                            m.status.set(target(Step.EXPIRE).value),
                            m.finished_at.set(now),
                            m.error.set(message),
                            m.log_next_seq.set(seq + 1),
                            m.lease_shard.remove(),
                            m.lease_epoch.remove(),
                        ],
                        condition=items.may_write(m, Step.EXPIRE)
                        & (m.lease_epoch < int(now.timestamp()) + 1)
                        & (m.log_next_seq == seq),
                    )
                    tx.save(
                        items.chunk(m, execution.tenant, execution.id, [line]),
                        condition=m.sk.does_not_exist(),
                    )
                return True
            except TransactWriteError as exc:
                if not items.transaction_conflict(exc):
                    raise
        return False
