"""Ports of the token lifecycle's outward side: expiry notices and leaked-token revocation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sculptops.domain.expiry_notices import OutboundEvent
    from sculptops.domain.tokens import StoredToken


class TokenLookup(Protocol):
    """Reads of the tokens table beside the authorizer's one GetItem: many digests at once,
    and the index of expiry days. Neither is ever used to authenticate."""

    def get_many(self, digests: Iterable[str]) -> list[StoredToken]:
        """The tokens stored under these digests (strongly consistent, by key, in batches of
        100: BatchGetItem); unknown digests are simply absent. Duplicates are read once."""
        ...

    def expiring_on(self, day: date) -> list[StoredToken]:
        """Every personal token whose expiry falls on this UTC day (the by_expiry index,
        eventually consistent: a token deleted a moment ago may still be listed)."""
        ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[OutboundEvent]) -> int:
        """Publish events for operators (EventBridge on AWS); returns how many were accepted.
        Never raises for an unavailable bus: events are at most once, the notices are the
        record."""
        ...


class LeakDispatcher(Protocol):
    """Hands a leak batch (the worker's JSON event, `services/leaks.py`) to the worker that
    revokes out of band: an asynchronous Lambda invocation on AWS, a bounded background queue
    on the local stack."""

    def submit(self, payload: bytes) -> None:
        """Queue the batch and return at once, without waiting for the worker; raises
        Unavailable (503 with Retry-After) when it cannot be queued now."""
        ...
