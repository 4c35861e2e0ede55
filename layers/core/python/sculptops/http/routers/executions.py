"""Executions: trigger, list, read, cancel; their logs by polling and as short-poll SSE."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sculptops.domain.errors import InvalidInput
from sculptops.domain.executions import Execution, Status
from sculptops.domain.stream_ticket import MAX_LENGTH
from sculptops.http.deps import (
    AuthenticatorDep,
    CallerDep,
    ExecutionsDep,
    IdempotencyDep,
    SurfaceDep,
)
from sculptops.http.log_events import log_batch, sse_body
from sculptops.http.schemas import ExecutionIn, ExecutionList, ExecutionOut, LogBatch, StreamUrlOut
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.services.executions import (
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    LOG_LIMIT_DEFAULT,
    LOG_LIMIT_MAX,
    NewExecution,
)

__all__ = ["execution_out", "log_batch", "register", "routers", "sse_body"]

NOT_FOUND = {404: {"description": "Not in this tenant"}}
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


def create_execution(
    caller: CallerDep,
    executions: ExecutionsDep,
    idempotency: IdempotencyDep,
    surface: SurfaceDep,
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
    executions.authorize_trigger(caller)  # a replay is authorized like a first call
    if idempotency_key is None:
        return execution_out(executions.trigger(caller, request))

    def action() -> tuple[int, str]:
        created = executions.trigger(caller, request)
        return 201, json.dumps(execution_out(created), default=str)

    outcome = idempotency.run(
        caller, idempotency_key, "create_execution", body.model_dump(), action
    )
    out = surface.model(ExecutionOut).model_validate(json.loads(outcome.body))
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(
        status_code=outcome.status,
        content=json.loads(out.model_dump_json(by_alias=surface.camel)),
        headers=headers,
    )


def list_executions(
    caller: CallerDep,
    executions: ExecutionsDep,
    status: Annotated[Status | None, Query()] = None,
    playbook_id: Annotated[str | None, Query(max_length=64)] = None,  # ?playbookId= on /api
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = LIST_LIMIT_DEFAULT,
) -> dict[str, Any]:
    """Newest first; filter by status and playbook; paginate with `cursor`."""
    page = executions.list_executions(caller, status, playbook_id, cursor, limit)
    return {
        "executions": [execution_out(e) for e in page.executions],
        "next_cursor": page.next_cursor,
    }


def get_execution(
    caller: CallerDep, executions: ExecutionsDep, execution_id: str
) -> dict[str, Any]:
    """Status, timing and exit code of one run."""
    return execution_out(executions.get(caller, execution_id))


def cancel_execution(
    caller: CallerDep, executions: ExecutionsDep, execution_id: str
) -> dict[str, Any]:
    """Queued: cancelled at once. Running: cancelled when its agent stops it."""
    return execution_out(executions.cancel(caller, execution_id))


def delete_execution(caller: CallerDep, executions: ExecutionsDep, execution_id: str) -> Response:
    """Delete a finished run and its log (admin); a queued or running one answers 409."""
    executions.delete(caller, execution_id)
    return Response(status_code=204)


def get_logs(
    caller: CallerDep,
    executions: ExecutionsDep,
    surface: SurfaceDep,
    execution_id: str,
    after: Annotated[int, Query(ge=0, description="The last seq you have")] = 0,
    limit: Annotated[int, Query(ge=1, le=LOG_LIMIT_MAX)] = LOG_LIMIT_DEFAULT,
) -> dict[str, Any]:
    """The lines after a cursor; `complete` once the run is over and you have them all."""
    view = executions.logs(caller, execution_id, after, limit)
    return log_batch(view, epoch=surface.camel)


def stream_logs(
    caller: CallerDep,
    executions: ExecutionsDep,
    surface: SurfaceDep,
    execution_id: str,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    last_event_id_query: Annotated[str | None, Query(alias="lastEventId", max_length=20)] = None,
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
    view = executions.logs(caller, execution_id, after, limit)
    if view.complete and not view.lines:
        return Response(status_code=204)
    return Response(
        sse_body(view, epoch=surface.camel),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def create_stream_url(
    caller: CallerDep,
    executions: ExecutionsDep,
    authenticator: AuthenticatorDep,
    surface: SurfaceDep,
    execution_id: str,
    request: Request,
) -> Any:
    """The log stream's URL with a signed ticket for this run only (valid 1 h at most)."""
    execution = executions.get(caller, execution_id)
    ticket = authenticator.issue_stream_ticket(caller, execution.id)
    path = f"{surface.prefix}/executions/{execution.id}/logs/stream".replace(
        "{tenant_id}", ticket.tenant
    )
    return {
        "url": f"{_stage_prefix(request)}{path}?{urlencode({'ticket': ticket.value})}",
        "expires_at": ticket.expires_at,
    }


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


def register(surface: Surface) -> APIRouter:
    """The execution routes of one surface (the agent protocol's are in routers/agents.py)."""
    router = surface.router("executions")
    m = surface.model
    route(
        router,
        "POST",
        "/executions",
        slash_too=True,
        status_code=201,
        response_model=m(ExecutionOut),
        summary="Trigger Playbook Run",
        responses={409: {"description": "The same Idempotency-Key is in flight"}},
    )(create_execution)
    route(
        router,
        "GET",
        "/executions",
        slash_too=True,
        response_model=m(ExecutionList),
        summary="List Executions",
    )(list_executions)
    route(
        router,
        "GET",
        "/executions/{execution_id}",
        response_model=m(ExecutionOut),
        responses=NOT_FOUND,
        summary="Get Execution Status",
    )(get_execution)
    route(
        router,
        "POST",
        "/executions/{execution_id}/cancel",
        response_model=m(ExecutionOut),
        responses={**NOT_FOUND, 409: {"description": "Already finished"}},
        summary="Cancel Execution",
    )(cancel_execution)
    route(
        router,
        "DELETE",
        "/executions/{execution_id}",
        status_code=204,
        response_class=Response,
        responses={**NOT_FOUND, 409: {"description": "Queued or running: cancel it first"}},
        summary="Delete an execution",
    )(delete_execution)
    route(
        router,
        "GET",
        "/executions/{execution_id}/logs",
        response_model=m(LogBatch),
        responses=NOT_FOUND,
        summary="Get Execution Logs",
    )(get_logs)
    route(
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
    )(stream_logs)
    route(
        router,
        "POST",
        "/executions/{execution_id}/logs/stream-url",
        status_code=201,
        response_model=m(StreamUrlOut),
        responses=NOT_FOUND,
        summary="Get Log Stream URL (EventSource)",
    )(create_stream_url)
    return router


routers = [register(s) for s in SURFACES]
