"""The tenant's audit log, for its admins: newest first, filtered by type and actor."""

from __future__ import annotations

from sculptops.domain.governance import AuditPage, AuditType
from sculptops.domain.identity import Caller
from sculptops.domain.roles import Role
from sculptops.ports import AuditLog
from sculptops.services.governance_common import check_cursor, check_limit, tenant_of


class AuditService:
    def __init__(self, *, audit_log: AuditLog) -> None:
        self._log = audit_log

    def audit_events(
        self,
        caller: Caller,
        cursor: str | None,
        limit: int,
        type_: AuditType | None,
        actor: str | None,
    ) -> AuditPage:
        caller.require(Role.ADMIN)
        check_limit(limit)
        check_cursor(cursor, "evt")
        return self._log.list_events(tenant_of(caller), cursor, limit, type_, actor)
