"""Executions and their status machine: queued -> running -> success | failed | cancelled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sculptops.domain.errors import InvalidInput

TAGS_MAX = 50
LIMIT_MAX_LEN = 1000
_TAG_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_LIMIT_RE = re.compile(r"^[A-Za-z0-9_.:*!&,\[\]@-]+$")


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (Status.SUCCESS, Status.FAILED, Status.CANCELLED)


@dataclass(frozen=True)
class Execution:
    id: str
    tenant: str
    status: Status
    playbook_id: str
    inventory_id: str
    created_at: datetime
    triggered_by: str
    credential_kind: str
    credential_id: str | None = None
    extra_vars: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    limit: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    agent_id: str | None = None
    lease_expires_at: datetime | None = None
    cancel_requested: bool = False
    log_next_seq: int = 1
    error: str | None = None


@dataclass(frozen=True)
class ExecutionPage:
    executions: list[Execution]
    next_cursor: str | None


def validate_tags(tags: list[str]) -> list[str]:
    if len(tags) > TAGS_MAX:
        raise InvalidInput("tags", f"at most {TAGS_MAX} tags")
    for i, tag in enumerate(tags):
        if not _TAG_RE.match(tag):
            raise InvalidInput(f"tags.{i}", "letters, digits, '_', '.', '-' only, 1-100 long")
    return tags


def validate_limit(limit: str | None) -> str | None:
    if limit is None:
        return None
    if not limit or len(limit) > LIMIT_MAX_LEN or not _LIMIT_RE.match(limit):
        raise InvalidInput("limit", "must be an Ansible host pattern")
    return limit
