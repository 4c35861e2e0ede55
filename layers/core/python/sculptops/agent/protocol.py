"""The agent protocol over HTTP: claim a run, heartbeat it, append its log lines, finish it.

It talks to the API only (the same routes through the same gateway as any client), each call
retried by the agent's one policy (agent/retry.py), and never loses a log line it has read: a
batch that could not be sent is kept and sent again, and the server stores a resent batch once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import httpx

from sculptops import __version__
from sculptops.agent.retry import CLAIM, ONCE, REPORT, RetryPolicy, retry_after
from sculptops.domain.logs import classify, clip
from sculptops.domain.redaction import redact_credentials

log = logging.getLogger("sculptops.agent")

USER_AGENT = f"sculptops-agent/{__version__}"
BATCH_LINES = 200  # a batch goes out once this many lines wait, or after batch_interval
BATCH_MAX_LINES = 1000
BATCH_MAX_BYTES = 512 * 1024  # well under the API's 1 MiB body limit

Beat = Literal["ok", "cancel", "gone", "unknown"]


class Requester(Protocol):
    """One HTTP request to the API, relative to its base URL (the ApiClient, or a fake)."""

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...


class ClaimFailed(Exception):
    """No answer to a claim, or not one the protocol knows; `retry_after` as the server said."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def log_line(text: str, level: str | None) -> dict[str, Any]:
    """One line as the logs route takes it; the level is classified when not given."""
    return {
        # Masked here already (a credential never leaves the host), then clipped: the server
        # does both too; this keeps batches small.
        "line": clip(redact_credentials(text)),
        "level": level or classify(text).value,
        "ts": datetime.now(UTC).isoformat(),
    }


def take_batch(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The longest prefix of at most BATCH_MAX_LINES lines and BATCH_MAX_BYTES of text."""
    size = 0
    for i, line in enumerate(lines[:BATCH_MAX_LINES]):
        size += len(line["line"].encode("utf-8")) + 100
        if size > BATCH_MAX_BYTES and i > 0:
            return lines[:i]
    return lines[:BATCH_MAX_LINES]


@dataclass
class PendingLog:
    """Lines read but not yet stored, the first of them numbered `first_seq`."""

    first_seq: int
    lines: list[dict[str, Any]] = field(default_factory=list)


class AgentProtocol:
    """The agent routes of one tenant, called through `client` (which must not retry itself)."""

    def __init__(self, client: Requester, tenant: str, stop: threading.Event) -> None:
        self.client = client
        self.base = f"/api/v1/{tenant}"
        self.stop = stop

    def _post(self, policy: RetryPolicy, path: str, **kwargs: Any) -> httpx.Response:
        return policy.call(
            lambda: self.client.request("POST", f"{self.base}{path}", **kwargs), self.stop
        )

    def claim(self) -> dict[str, Any] | None:
        """The next queued run (execution, playbook, inventory), or None when there is none."""
        try:
            response = self._post(CLAIM, "/agents/claim")
        except httpx.HTTPError as exc:
            raise ClaimFailed(type(exc).__name__) from exc
        if response.status_code == 204:
            return None
        if response.status_code != 200:
            raise ClaimFailed(f"claim answered {response.status_code}", retry_after(response))
        data: dict[str, Any] = response.json()
        return data

    def heartbeat(self, run_id: str) -> Beat:
        """Extend the run's lease: ok, cancel (requested), gone (not ours any more), unknown."""
        try:
            response = self._post(ONCE, f"/executions/{run_id}/heartbeat")
        except httpx.HTTPError:
            return "unknown"
        if response.status_code in (404, 409):
            return "gone"
        if response.status_code != 200:
            return "unknown"
        return "cancel" if response.json().get("cancel_requested") else "ok"

    def send_logs(self, run_id: str, pending: PendingLog, final: bool = False) -> PendingLog:
        """Send one batch (all of them when `final`); what could not be sent is returned."""
        policy = REPORT if final else ONCE
        while pending.lines:
            batch = take_batch(pending.lines)
            body = {"first_seq": pending.first_seq, "lines": batch}
            try:
                response = self._post(policy, f"/executions/{run_id}/logs", json=body)
            except httpx.HTTPError:
                return pending  # keep for later
            if response.status_code in (404, 409, 422):
                log.error("log batch refused (%s): dropping it", response.status_code)
            elif response.status_code != 200:
                return pending  # keep for later
            pending = PendingLog(pending.first_seq + len(batch), pending.lines[len(batch) :])
            if not final:
                break
        return pending

    def finish(self, run_id: str, code: int) -> bool:
        """Report the run's end; False if it could not be (the sweeper will fail the run)."""
        try:
            response = self._post(REPORT, f"/executions/{run_id}/finish", json={"exit_code": code})
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code in (200, 404, 409):
            return True
        log.error("could not report the end of %s; the sweeper will fail it", run_id)
        return False
