"""Execution log lines: numbered from 1 per execution, stored in chunks of many lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sculptops.domain.errors import Conflict
from sculptops.domain.executions import Execution, Step, may, refused

LINE_MAX_CHARS = 8192
TRUNCATED = " …[truncated]"
BATCH_MAX_LINES = 1000
CHUNK_MAX_BYTES = 64 * 1024  # well under DynamoDB's 400 KB item limit


class Level(StrEnum):
    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNREACHABLE = "unreachable"
    INFO = "info"
    ERROR = "error"


@dataclass(frozen=True)
class LogLine:
    seq: int
    ts: datetime
    level: Level
    line: str


# A run of word characters that the cut may have made from a credential: a token cut inside
# its checksum can be completed by anyone (CRC32 is public), so a long run at the cut goes too.
_CUT_RUN = re.compile(r"[0-9A-Za-z_]{20,}$")


def clip(line: str) -> str:
    """Very long lines are truncated with a marker, never dropped. Mask credentials first
    (domain.redaction.redact_credentials): what is cut is no longer one."""
    if len(line) <= LINE_MAX_CHARS:
        return line
    kept = line[: LINE_MAX_CHARS - len(TRUNCATED)]
    return _CUT_RUN.sub("", kept) + TRUNCATED


def classify(line: str) -> Level:
    """The level of an ansible-playbook output line."""
    head = line.lstrip()
    if head.startswith("ok:"):
        return Level.OK
    if head.startswith("changed:"):
        return Level.CHANGED
    if head.startswith(("fatal:", "failed:")) or "FAILED!" in head:
        return Level.FAILED
    if head.startswith("skipping:"):
        return Level.SKIPPED
    if "UNREACHABLE!" in head or head.startswith("unreachable:"):
        return Level.UNREACHABLE
    return Level.INFO


def chunked(lines: list[LogLine]) -> list[list[LogLine]]:
    """Split lines into chunks of bounded size, keeping order."""
    chunks: list[list[LogLine]] = []
    current: list[LogLine] = []
    size = 0
    for line in lines:
        cost = len(line.line.encode("utf-8")) + 64
        if current and size + cost > CHUNK_MAX_BYTES:
            chunks.append(current)
            current, size = [], 0
        current.append(line)
        size += cost
    if current:
        chunks.append(current)
    return chunks


@dataclass(frozen=True)
class LogPage:
    lines: list[LogLine]
    execution: Execution
    more: bool  # lines beyond this page are known to exist


def after_refused_batch(current: Execution, agent_id: str, first_seq: int, count: int) -> int:
    """A batch the store refused: the next expected seq if it was a resent batch, already stored
    once (its lines all lie before the run's next seq); Conflict otherwise (the run is not
    running on this agent, or the batch leaves a gap or overlaps)."""
    last = first_seq + count - 1
    if last < current.log_next_seq and current.agent_id == agent_id:
        return current.log_next_seq
    if not may(Step.APPEND_LOGS, current, agent_id):
        raise refused(Step.APPEND_LOGS, current)
    raise Conflict(f"expected first_seq {current.log_next_seq}, got {first_seq}")
