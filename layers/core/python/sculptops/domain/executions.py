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
# A tag or a limit reaches ansible-playbook as one argv element (`--tags=<v>`, `--limit=<v>`),
# and is still refused if it could read as an option (a leading `-`) or a file: Ansible reads a
# limit element starting with `@` as a file of host names (InventoryManager.subset), and one
# starting with `~` as a regular expression; neither character is allowed anywhere.
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")  # fullmatch: `$` allows a "\n"
_LIMIT_RE = re.compile(r"[A-Za-z0-9_.:*!&,\[\]-]+")


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Never stored: how a run whose stored item cannot be read back is shown, so that one bad
    # item never breaks a list and an admin can still delete it. Never claimed, never changes.
    UNREADABLE = "unreadable"

    @property
    def terminal(self) -> bool:
        return self in (Status.SUCCESS, Status.FAILED, Status.CANCELLED, Status.UNREADABLE)


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
    """Tags to run, each one `--tags=` value that can be neither an option nor a file."""
    if len(tags) > TAGS_MAX:
        raise InvalidInput("tags", f"at most {TAGS_MAX} tags")
    for i, tag in enumerate(tags):
        if not _TAG_RE.fullmatch(tag):
            raise InvalidInput(
                f"tags.{i}",
                "letters, digits, '_', '.', '-' only, 1-100 long, starting with a letter, "
                "a digit or '_'",
            )
    return tags


def validate_limit(limit: str | None) -> str | None:
    """A host pattern for `--limit=`: no file (`@`), no regex (`~`), no option (`-`)."""
    if limit is None:
        return None
    if not limit or len(limit) > LIMIT_MAX_LEN or not _LIMIT_RE.fullmatch(limit):
        raise InvalidInput(
            "limit", "must be an Ansible host pattern (no '@' file, '~' regex or spaces)"
        )
    # Ansible splits a limit on commas; no element may start like an option either.
    if any(part.lstrip("!&").startswith("-") for part in limit.split(",")):
        raise InvalidInput("limit", "a host pattern cannot start with '-'")
    return limit
