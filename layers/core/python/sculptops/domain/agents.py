"""Agents: processes that run playbooks for one tenant, with a token of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Agent:
    id: str
    tenant: str
    name: str
    created_at: datetime
    token_id: str
    last_seen_at: datetime | None = None
    current_execution: str | None = None


# An agent's last contact is written at most this often, unless its current run changed: an idle
# agent polling for work costs reads only.
SEEN_EVERY = timedelta(seconds=30)


def worth_recording(agent: Agent, when: datetime, execution_id: str | None) -> bool:
    """Whether a contact at `when`, working on `execution_id`, is to be written."""
    changed = agent.current_execution != execution_id
    stale = agent.last_seen_at is None or agent.last_seen_at < when - SEEN_EVERY
    return changed or stale
