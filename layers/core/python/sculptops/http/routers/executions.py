"""Executions: trigger, list, read, cancel; their logs by polling and as short-poll SSE."""

# No `from __future__ import annotations` here: FastAPI must evaluate the query aliases that
# depend on the surface, which are closure variables, when each route is defined.

import json
import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sculptops.bootstrap import container
from sculptops.domain.errors import InvalidInput
from sculptops.domain.executions import Execution, Status
from sculptops.domain.logs import LogLine
from sculptops.domain.stream_ticket import MAX_LENGTH
from sculptops.http.caller import CallerDep
from sculptops.http.schemas import (
    ExecutionIn,
    ExecutionList,
    ExecutionOut,
    LogBatch,
    StreamUrlOut,
)
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.services.executions import (
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    LOG_LIMIT_DEFAULT,
    LOG_LIMIT_MAX,
    LogView,
    NewExecution,
)

NOT_FOUND = {404: {"description": "Not in this tenant"}}
SSE_MIN_RETRY_MS = 250
TICKET_DOC = (
    "A stream ticket from `POST .../logs/stream-url`, for clients that cannot send "
    "Authorization (a browser's EventSource); ignored when a header credential is present"
)


def execution_out(e: Execution) -> dict[str, Any]:
    return {
        "id": e.id,
        "status": e.status.value,
        "playbook_id": e.playbook_id,
        "inventory_id": e.inventory_id,
        "created_at": e.created_at,
        "started_at": e.started_at,
        "finished_at": e.finished_at,
        "exit_code": e.exit_code,
        "extra_vars": e.extra_vars,
        "tags": e.tags,
        "limit": e.limit,
        "triggered_by": e.triggered_by,
        "agent_id": e.agent_id,
        "cancel_requested": e.cancel_requested,
        "error": e.error,
    }


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


def sse_body(view: LogView, epoch: bool = False) -> str:
    """The batch as Server-Sent Events: a retry hint, then one event per line (id = seq)."""
    retry = f"retry: {max(view.poll_after_ms, SSE_MIN_RETRY_MS)}\n"
    if not view.lines:
        return retry + "\n"  # no event: the client only learns when to come back
    parts = []
    for i, ln in enumerate(view.lines):
        data = json.dumps(log_event(ln, epoch), default=_iso)
        parts.append(f"{retry if i == 0 else ''}id: {ln.seq}\ndata: {data}\n\n")
    return "".join(parts)


def build_router(surface: Surface) -> APIRouter:
    router = surface.router("executions")
    m = surface.model
    playbook_alias = "playbookId" if surface.camel else "playbook_id"

    @route(
        router,
        "POST",
        "/executions",
        slash_too=True,
        status_code=201,
        response_model=m(ExecutionOut),
        summary="Trigger Playbook Run",
        responses={409: {"description": "The same Idempotency-Key is in flight"}},
    )
    def create_execution(
        caller: CallerDep,
        body: ExecutionIn,
        idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    ) -> Any:
        """Queue a run (member or admin); an Idempotency-Key makes retries safe."""
        request = NewExecution(
            playbook_id=body.playbook_id,
            inventory_id=body.inventory_id,
            extra_vars=body.extra_vars,
            tags=body.tags,
            limit=body.limit,
        )
        services = container()
        services.executions.authorize_trigger(caller)  # a replay is authorized like a first call
        if idempotency_key is None:
            return execution_out(services.executions.trigger(caller, request))

        def action() -> tuple[int, str]:
            created = services.executions.trigger(caller, request)
            return 201, json.dumps(execution_out(created), default=str)

        outcome = services.idempotency.run(
            caller, idempotency_key, "create_execution", body.model_dump(), action
        )
        out = m(ExecutionOut).model_validate(json.loads(outcome.body))
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        return JSONResponse(
            status_code=outcome.status,
            content=json.loads(out.model_dump_json(by_alias=surface.camel)),
            headers=headers,
        )

    @route(
        router,
        "GET",
        "/executions",
        slash_too=True,
        response_model=m(ExecutionList),
        summary="List Executions",
    )
    def list_executions(
        caller: CallerDep,
        status: Annotated[Status | None, Query()] = None,
        playbook_id: Annotated[str | None, Query(alias=playbook_alias, max_length=64)] = None,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = LIST_LIMIT_DEFAULT,
    ) -> dict[str, Any]:
        """Newest first; filter by status and playbook; paginate with `cursor`."""
        page = container().executions.list_executions(caller, status, playbook_id, cursor, limit)
        return {
            "executions": [execution_out(e) for e in page.executions],
            "next_cursor": page.next_cursor,
        }

    @route(
        router,
        "GET",
        "/executions/{execution_id}",
        response_model=m(ExecutionOut),
        responses=NOT_FOUND,
        summary="Get Execution Status",
    )
    def get_execution(caller: CallerDep, execution_id: str) -> dict[str, Any]:
        """Status, timing and exit code of one run."""
        return execution_out(container().executions.get(caller, execution_id))

    @route(
        router,
        "POST",
        "/executions/{execution_id}/cancel",
        response_model=m(ExecutionOut),
        responses={**NOT_FOUND, 409: {"description": "Already finished"}},
        summary="Cancel Execution",
    )
    def cancel_execution(caller: CallerDep, execution_id: str) -> dict[str, Any]:
        """Queued: cancelled at once. Running: cancelled when its agent stops it."""
        return execution_out(container().executions.cancel(caller, execution_id))

    @route(
        router,
        "DELETE",
        "/executions/{execution_id}",
        status_code=204,
        response_class=Response,
        responses={**NOT_FOUND, 409: {"description": "Queued or running: cancel it first"}},
        summary="Delete an execution",
    )
    def delete_execution(caller: CallerDep, execution_id: str) -> Response:
        """Delete a finished run and its log (admin); a queued or running one answers 409."""
        container().executions.delete(caller, execution_id)
        return Response(status_code=204)

    @route(
        router,
        "GET",
        "/executions/{execution_id}/logs",
        response_model=m(LogBatch),
        responses=NOT_FOUND,
        summary="Get Execution Logs",
    )
    def get_logs(
        caller: CallerDep,
        execution_id: str,
        after: Annotated[int, Query(ge=0, description="The last seq you have")] = 0,
        limit: Annotated[int, Query(ge=1, le=LOG_LIMIT_MAX)] = LOG_LIMIT_DEFAULT,
    ) -> dict[str, Any]:
        """The lines after a cursor; `complete` once the run is over and you have them all."""
        view = container().executions.logs(caller, execution_id, after, limit)
        return log_batch(view, epoch=surface.camel)

    @route(
        router,
        "GET",
        "/executions/{execution_id}/logs/stream",
        response_class=Response,
        responses={
            **NOT_FOUND,
            200: {"content": {"text/event-stream": {}}, "description": "One batch as SSE"},
            204: {"description": "The run is complete and you have every line"},
        },
        summary="Stream Execution Logs (SSE)",
    )
    def stream_logs(
        caller: CallerDep,
        execution_id: str,
        last_event_id: Annotated[str | None, Header(max_length=20)] = None,
        last_event_id_query: Annotated[
            str | None, Query(alias="lastEventId", max_length=20)
        ] = None,
        limit: Annotated[int, Query(ge=1, le=LOG_LIMIT_MAX)] = LOG_LIMIT_DEFAULT,
        ticket: Annotated[str | None, Query(max_length=MAX_LENGTH, description=TICKET_DOC)] = None,
    ) -> Response:
        """One batch as SSE, then the response ends; EventSource reconnects with Last-Event-ID."""
        del ticket  # checked by the authorizer, which put the caller in the request context
        raw = last_event_id if last_event_id is not None else last_event_id_query
        try:
            after = int(raw) if raw not in (None, "") else 0
        except ValueError:
            raise InvalidInput("Last-Event-ID", "must be a line number") from None
        if after < 0:
            raise InvalidInput("Last-Event-ID", "must be 0 or more")
        view = container().executions.logs(caller, execution_id, after, limit)
        if view.complete and not view.lines:
            return Response(status_code=204)
        return Response(
            sse_body(view, epoch=surface.camel),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @route(
        router,
        "POST",
        "/executions/{execution_id}/logs/stream-url",
        status_code=201,
        response_model=m(StreamUrlOut),
        responses=NOT_FOUND,
        summary="Get Log Stream URL (EventSource)",
    )
    def create_stream_url(caller: CallerDep, execution_id: str, request: Request) -> Any:
        """The log stream's URL with a signed ticket for this run only (valid 1 h at most)."""
        services = container()
        execution = services.executions.get(caller, execution_id)
        ticket = services.authenticator.issue_stream_ticket(caller, execution.id)
        path = f"{surface.prefix}/executions/{execution.id}/logs/stream".replace(
            "{tenant_id}", ticket.tenant
        )
        return {
            "url": f"{_stage_prefix(request)}{path}?{urlencode({'ticket': ticket.value})}",
            "expires_at": ticket.expires_at,
        }

    return router


def _stage_prefix(request: Request) -> str:
    """`/prod` when reached on the execute-api host (its path carries the stage), else ''."""
    event = request.scope.get("aws.event")
    if not isinstance(event, dict):
        return ""
    path = str(event.get("path") or "")
    full = str((event.get("requestContext") or {}).get("path") or "")
    if path and full.endswith(path) and re.fullmatch(r"(/[A-Za-z0-9_-]+)*", full[: -len(path)]):
        return full[: -len(path)]
    return ""


routers = [build_router(s) for s in SURFACES]
