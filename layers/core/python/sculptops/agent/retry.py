"""The agent's one retry policy: which failures are retried, how often, and how long it waits.

Every request the agent makes goes out once through the API client (which retries nothing for
the agent) and is retried here only, so retries never stack. A retry is due after a connection
error (timeouts included), a 5xx or a 429, never after another 4xx: the same request would get
the same answer. Waits grow exponentially with jitter, never below what `Retry-After` asks, and
are spent in `stop.wait`: stopping the agent ends any wait at once.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx


def retryable(status: int) -> bool:
    """A status after which the same request can succeed later."""
    return status == 429 or 500 <= status <= 599


def retry_after(response: httpx.Response | None) -> float | None:
    """Seconds the server asked to wait (`Retry-After`: seconds or an HTTP date), if it did."""
    value = response.headers.get("retry-after", "").strip() if response is not None else ""
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` requests, retried within `deadline` seconds of the first one.

    The wait before retry n (1, 2, ...) is `base_delay * 2**(n-1)`, capped at `max_delay`, times
    a jitter factor in [0.5, 1]; or what `Retry-After` says, if that is longer. A retry whose
    wait would end past the deadline is not made: the last answer stands.
    """

    max_attempts: int = 8
    deadline: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, retry: int, server_asks: float | None = None) -> float:
        """The wait before retry number `retry` (from 1)."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** max(0, retry - 1))
        jittered = backoff * random.uniform(0.5, 1.0)  # noqa: S311 (spreading, not secrecy)
        return max(jittered, server_asks or 0.0)

    def call(self, send: Callable[[], httpx.Response], stop: threading.Event) -> httpx.Response:
        """`send()` until it answers something not worth retrying, or the policy gives up.

        Returns the last answer (which may still be a 5xx or a 429: the caller decides what
        that means) or raises the last connection error. A set `stop` ends it at once, after
        the attempt in flight: an agent being stopped makes its last reports once each.
        """
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            response: httpx.Response | None = None
            error: httpx.TransportError | None = None
            try:
                response = send()
            except httpx.TransportError as exc:
                error = exc
            if response is not None and not retryable(response.status_code):
                return response
            wait = self.delay(attempt, retry_after(response))
            if (
                attempt >= self.max_attempts
                or time.monotonic() - started + wait > self.deadline
                or stop.wait(wait)
            ):
                if response is not None:
                    return response
                assert error is not None
                raise error


# What must reach the server: a run's last log lines and its end. At most 8 requests each,
# within a minute (the lease the server gives a run); then the sweeper fails the run.
REPORT = RetryPolicy(max_attempts=8, deadline=60.0)
# What is repeated anyway (a heartbeat every few seconds, a log batch while the run goes on):
# one request each; the next beat or batch is the retry, so output and cancels never wait.
ONCE = RetryPolicy(max_attempts=1)
# Claims: one request each; after failed ones the poll loop waits CLAIM.delay(failures so far,
# Retry-After) before the next claim, instead of its idle pace.
CLAIM = RetryPolicy(max_attempts=1)
