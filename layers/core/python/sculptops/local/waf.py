"""The local stand-in for the WAF per-IP rate rule: failed authentication is held back."""

from __future__ import annotations

import threading
import time
from collections import deque


class FailedAuthLimiter:
    """Repeated failed authentication from one source: 429 with Retry-After for a while.

    It holds back failures, never credentials: a request from a source over the limit is still
    authenticated, a valid credential goes through, and only a failing one gets 429 instead of
    401. So nobody locks a valid token, or the embedded agents that share 127.0.0.1, out with
    failures of their own. A malformed credential still costs no read (the authorizer refuses it
    first); a well-formed one costs its one GetItem, blocked or not: only that read can tell a
    valid credential from a guess. The local stand-in for the WAF per-IP rate rule on AWS, which
    counts every request instead (README, "Deploy to AWS").
    """

    def __init__(self, max_failures: int, window_seconds: float = 60.0) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.max_failures = max_failures
        self.window = window_seconds
        # The latest max_failures failures per source are all the verdict needs: a flood keeps
        # its source held back without a list that grows with it.
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _blocked_for(self, source: str, now: float) -> int:
        recent = self._failures.get(source)
        if recent is None:
            return 0
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if not recent:
            del self._failures[source]
            return 0
        if len(recent) < self.max_failures:
            return 0
        # Held back until the oldest of the latest max_failures failures leaves the window.
        return max(1, int(self.window - (now - recent[0])) + 1)

    def failed(self, source: str) -> int:
        """Record a failed authentication; seconds the source was already held back, else 0.

        Non-zero: answer this failure 429 with that Retry-After rather than 401.
        """
        now = time.monotonic()
        with self._lock:
            wait = self._blocked_for(source, now)
            recent = self._failures.setdefault(source, deque(maxlen=self.max_failures))
            recent.append(now)
            return wait


class RequestLimiter:
    """At most `limit` requests per source in a sliding window: the local stand-in for a WAF
    rate-based rule scoped to one route (infra/waf.yml's credentials-revoke-rate-limit).

    Every request let through counts, whatever its answer; one held back does not. A 429 leaves
    no sooner than `answer_after` seconds after its request arrived: the route's own answer
    floor, so that every answer of the route takes the same time (the WAF on AWS answers at
    once; README, "Revoking a leaked token").
    """

    def __init__(self, limit: int, window_seconds: float = 60.0, answer_after: float = 0.0) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window_seconds
        self.answer_after = answer_after
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, source: str) -> int:
        """Count a request; 0 when it may go on, else the seconds to wait (Retry-After)."""
        now = time.monotonic()
        with self._lock:
            recent = self._hits.setdefault(source, deque(maxlen=self.limit))
            while recent and now - recent[0] >= self.window:
                recent.popleft()
            if len(recent) >= self.limit:
                return max(1, int(self.window - (now - recent[0])) + 1)
            recent.append(now)
            return 0
