"""Executions and their status machine: queued -> running -> success | failed | cancelled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sculptops.domain.errors import Conflict, InvalidInput

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
    # When the last batch of lines was stored (server time): how long the run has been quiet.
    log_written_at: datetime | None = None


@dataclass(frozen=True)
class ExecutionPage:
    executions: list[Execution]
    next_cursor: str | None


# ---- the status machine ----


class Step(StrEnum):
    """What can happen to a stored run. Each is one conditional write on its current status."""

    CLAIM = "claim"  # an agent takes the oldest queued run
    CANCEL = "cancel"  # a queued run is cancelled at once
    REQUEST_CANCEL = "request_cancel"  # a running run is asked to stop (its agent finishes it)
    HEARTBEAT = "heartbeat"  # the holding agent extends its lease
    APPEND_LOGS = "append_logs"  # the holding agent stores log lines
    FINISH = "finish"  # the holding agent reports the outcome
    EXPIRE = "expire"  # the sweeper fails a run whose lease expired


@dataclass(frozen=True)
class Rule:
    allowed_from: frozenset[Status]
    to: frozenset[Status]
    holder_only: bool = False  # only the agent that claimed the run may take this step


_S = Status
# The one table of allowed transitions. Stores build their write conditions from it (a step is
# written only while the stored status is in `allowed_from`), so a terminal status, absent from
# every `allowed_from`, is written once and never changes.
TRANSITIONS: dict[Step, Rule] = {
    Step.CLAIM: Rule(frozenset({_S.QUEUED}), frozenset({_S.RUNNING})),
    Step.CANCEL: Rule(frozenset({_S.QUEUED}), frozenset({_S.CANCELLED})),
    Step.REQUEST_CANCEL: Rule(frozenset({_S.RUNNING}), frozenset({_S.RUNNING})),
    Step.HEARTBEAT: Rule(frozenset({_S.RUNNING}), frozenset({_S.RUNNING}), holder_only=True),
    Step.APPEND_LOGS: Rule(frozenset({_S.RUNNING}), frozenset({_S.RUNNING}), holder_only=True),
    Step.FINISH: Rule(
        frozenset({_S.RUNNING}),
        frozenset({_S.SUCCESS, _S.FAILED, _S.CANCELLED}),
        holder_only=True,
    ),
    Step.EXPIRE: Rule(frozenset({_S.RUNNING}), frozenset({_S.FAILED})),
}


def allowed_from(step: Step) -> frozenset[Status]:
    """The stored statuses from which `step` may be written."""
    return TRANSITIONS[step].allowed_from


def may(step: Step, execution: Execution, agent_id: str | None = None) -> bool:
    """Whether `step` applies to the run as it is (and, for a holder's step, to this agent)."""
    rule = TRANSITIONS[step]
    if execution.status not in rule.allowed_from:
        return False
    return not rule.holder_only or (agent_id is not None and execution.agent_id == agent_id)


def check_target(step: Step, status: Status) -> Status:
    """`status` if `step` may lead to it; ValueError (a bug in the caller) otherwise."""
    if status not in TRANSITIONS[step].to:
        raise ValueError(f"{step.value} cannot lead to {status.value}")
    return status


def target(step: Step) -> Status:
    """The one status `step` leads to (claim, cancel, expire, and the steps that stay put)."""
    (status,) = TRANSITIONS[step].to
    return status


def status_for_exit(exit_code: int, cancel_requested: bool) -> Status:
    """How a run ends: cancelled if a cancel was requested, else success on exit 0, else failed."""
    if cancel_requested:
        return Status.CANCELLED
    return Status.SUCCESS if exit_code == 0 else Status.FAILED


def cancel_step(execution: Execution) -> Step:
    """Cancelling a queued run ends it; a running one is asked to stop; Conflict once finished."""
    if may(Step.CANCEL, execution):
        return Step.CANCEL
    if may(Step.REQUEST_CANCEL, execution):
        return Step.REQUEST_CANCEL
    raise Conflict(f"execution {execution.id} is already {execution.status.value}")


def refused(step: Step, current: Execution) -> Conflict:
    """The Conflict for a holder's step that the stored run refused (not running, or not here)."""
    if step is Step.FINISH:
        return Conflict(f"execution {current.id} is already {current.status.value}")
    return Conflict(f"execution {current.id} is {current.status.value}, not running here")


def lease_expired(execution: Execution | None, now: datetime) -> bool:
    """Whether the sweeper may fail this run: running, with a lease that ended before `now`."""
    return (
        execution is not None
        and may(Step.EXPIRE, execution)
        and execution.lease_expires_at is not None
        and execution.lease_expires_at < now
    )


def check_deletable(execution: Execution) -> None:
    """A run may be deleted once finished (or unreadable); Conflict while queued or running."""
    if not execution.status.terminal:
        raise Conflict(f"execution {execution.id} is {execution.status.value}: cancel it first")


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
