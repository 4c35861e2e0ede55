"""The tenant's audit log, newest first (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from sculptops.domain.governance import AuditEvent, AuditType
from sculptops.http.deps import AuditDep, CallerDep
from sculptops.http.governance_schemas import AuditEventList
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.services.governance_common import LIMIT_MAX


def event_out(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "time": e.at,
        "actor": {
            "user_id": e.actor.user_id,
            "credential_id": e.actor.credential_id,
            "credential_kind": e.actor.credential_kind.value if e.actor.credential_kind else None,
        },
        "target": {"type": e.target_type, "id": e.target_id, "user_id": e.target_user},
        "source_ip": e.origin.source_ip,
        "user_agent": e.origin.user_agent,
        "request_id": e.origin.request_id,
        "details": e.details,
    }


def list_audit_events(
    caller: CallerDep,
    audit: AuditDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 50,
    type: AuditType | None = None,
    actor: Annotated[str | None, Query(max_length=254)] = None,
) -> dict[str, Any]:
    """Token and membership changes in this tenant, newest first; never a secret."""
    page = audit.audit_events(caller, cursor, limit, type, actor)
    return {"events": [event_out(e) for e in page.events], "next_cursor": page.next_cursor}


def register(surface: Surface) -> APIRouter:
    router = surface.router("audit")
    route(
        router,
        "GET",
        "/audit-events",
        slash_too=True,
        response_model=surface.model(AuditEventList),
        summary="List Audit Events",
    )(list_audit_events)
    return router


routers = [register(s) for s in SURFACES]
