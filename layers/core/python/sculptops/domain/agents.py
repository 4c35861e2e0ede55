"""Agents: processes that run playbooks for one tenant, with a token of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Agent:
    id: str
    tenant: str
    name: str
    created_at: datetime
    token_id: str
    last_seen_at: datetime | None = None
    current_execution: str | None = None
