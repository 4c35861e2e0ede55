"""The caller's own notifications: GET /api/v1/me/notifications (any person's credential)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from sculptops.http.deps import CallerDep, NotificationsDep
from sculptops.http.governance_schemas import NotificationList
from sculptops.http.surfaces import TENANTLESS, route
from sculptops.services.governance_common import LIMIT_MAX


def list_notifications(
    caller: CallerDep,
    notifications: NotificationsDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 50,
) -> dict[str, Any]:
    """Your notices, newest first: tokens revoked by an admin, and more to come."""
    page = notifications.notifications(caller, cursor, limit)
    return {
        "notifications": [
            {
                "id": n.id,
                "type": n.type,
                "created_at": n.created_at,
                "message": n.message,
                "token_id": n.token_id,
                "tenant": n.tenant,
            }
            for n in page.notifications
        ],
        "next_cursor": page.next_cursor,
    }


def register() -> APIRouter:
    router = TENANTLESS.router("notifications", with_prefix=False)
    route(
        router,
        "GET",
        "/api/v1/me/notifications",
        response_model=NotificationList,
        summary="List My Notifications",
    )(list_notifications)
    return router


routers = [register()]
