"""Each user's own notifications (a token revoked by an admin, ...), newest first."""

from __future__ import annotations

from sculptops.domain.errors import Forbidden
from sculptops.domain.governance import NotificationPage
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.ports import NotificationStore
from sculptops.services.governance_common import check_cursor, check_limit


class NotificationService:
    def __init__(self, *, notifications: NotificationStore) -> None:
        self._notes = notifications

    def notifications(self, caller: Caller, cursor: str | None, limit: int) -> NotificationPage:
        """The caller's own notifications, newest first."""
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens have no notifications")
        check_limit(limit)
        check_cursor(cursor, "ntf")
        return self._notes.list_for_user(caller.subject, cursor, limit)
