"""The agent loop: claim a run, execute ansible-playbook, stream its lines, heartbeat, finish.

It talks to the API only (the same routes through the same gateway as any client), retries
with backoff and jitter, and never loses a log line it has read: a batch that could not be
sent is sent again, and the server stores a resent batch once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from sculptops.agent.workspace import Workspace, prepare
from sculptops.cli.client import ApiClient
from sculptops.domain.logs import classify, clip

log = logging.getLogger("sculptops.agent")

BATCH_LINES = 200
KILL_GRACE_SECONDS = 5.0
_TICK = object()  # nothing read within the wait: time to send, beat, or check for cancel


@dataclass
class AgentConfig:
    url: str
    token: str
    tenant: str = "active"
    poll_min: float = 1.0
    poll_max: float = 10.0
    # Also how soon a cancel is noticed: a heartbeat's answer says whether one was requested.
    heartbeat_every: float = 3.0
    batch_interval: float = 0.5
    max_runs: int | None = None  # stop after this many runs (tests, one-shot agents)
    max_idle_seconds: float | None = None  # stop after this long without work
    ansible_playbook: str | None = None


def find_ansible_playbook() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if found is None:
        raise RuntimeError("ansible-playbook not found: install ansible-core")
    return found


BATCH_MAX_BYTES = 512 * 1024  # well under the API's 1 MiB body limit


def _take_batch(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The longest prefix of at most 1000 lines and BATCH_MAX_BYTES of text."""
    size = 0
    for i, line in enumerate(lines[:1000]):
        size += len(line["line"].encode("utf-8")) + 100
        if size > BATCH_MAX_BYTES and i > 0:
            return lines[:i]
    return lines[:1000]


@dataclass
class _Pending:
    first_seq: int
    lines: list[dict[str, Any]] = field(default_factory=list)


class Agent:
    def __init__(self, config: AgentConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.api = ApiClient(config.url, config.token, retries=5, stop=self.stop)
        self.base = f"/api/v1/{config.tenant}"
        self.ansible = config.ansible_playbook or find_ansible_playbook()
        self.runs = 0

    # ---- the loop ----

    def run_forever(self) -> None:
        """Poll for work until stopped (or max_runs / max_idle_seconds are reached)."""
        delay = self.config.poll_min
        idle_since = time.monotonic()
        while not self.stop.is_set():
            try:
                claimed = self.claim()
            except (httpx.HTTPError, RuntimeError) as exc:
                log.warning("claim failed (%s); retrying", type(exc).__name__)
                claimed = None
            if claimed is None:
                if (
                    self.config.max_idle_seconds is not None
                    and time.monotonic() - idle_since > self.config.max_idle_seconds
                ):
                    return
                self.stop.wait(delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter
                delay = min(self.config.poll_max, delay * 1.5)
                continue
            delay = self.config.poll_min
            self.execute(claimed)
            idle_since = time.monotonic()
            self.runs += 1
            if self.config.max_runs is not None and self.runs >= self.config.max_runs:
                return

    def claim(self) -> dict[str, Any] | None:
        response = self.api.request("POST", f"{self.base}/agents/claim")
        if response.status_code == 204:
            return None
        if response.status_code != 200:
            raise RuntimeError(f"claim answered {response.status_code}")
        data: dict[str, Any] = response.json()
        return data

    # ---- one run ----

    def command(self, ws: Workspace, execution: dict[str, Any]) -> list[str]:
        cmd = [self.ansible, "-i", str(ws.inventory), str(ws.playbook), "-e", f"@{ws.extra_vars}"]
        if execution.get("tags"):
            cmd += ["--tags", ",".join(execution["tags"])]
        if execution.get("limit"):
            cmd += ["--limit", execution["limit"]]
        return cmd

    def execute(self, claimed: dict[str, Any]) -> None:
        """Run one claimed execution to its end and report it."""
        execution = claimed["execution"]
        run_id = execution["id"]
        ws = prepare(claimed["playbook"], claimed["inventory"], execution.get("extra_vars") or {})
        try:
            cmd = self.command(ws, execution)
            shown = " ".join(["ansible-playbook", *(shlex.quote(a) for a in cmd[1:])])
            pending = _Pending(first_seq=1)
            pending.lines.append(
                self._line(
                    f"SculptOps: {claimed['playbook']['name']} on {claimed['inventory']['name']}",
                    "info",
                )
            )
            pending.lines.append(self._line("$ " + shown.replace(f"{ws.root}/", ""), "info"))
            try:
                proc = subprocess.Popen(
                    cmd,
                    cwd=ws.root,
                    env=self._environment(ws),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    text=True,
                    errors="replace",
                    bufsize=1,
                )
            except OSError as exc:
                pending.lines.append(
                    self._line(f"SculptOps: cannot start ansible-playbook: {exc}", "error")
                )
                self._flush(run_id, pending, force=True)
                self._finish(run_id, 127)
                return
            pending, abandoned = self._supervise(run_id, proc, pending)
            code = proc.wait()
            # Whatever ansible-playbook left behind in its group (a task's child that outlived
            # it after a cancel) goes too: a run leaves no process running.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            if not abandoned:
                pending.lines.append(
                    self._line(f"SculptOps: ansible-playbook exited with {code}", "info")
                )
                self._flush(run_id, pending, force=True)
                self._finish(run_id, code)
        finally:
            ws.cleanup()

    @staticmethod
    def _environment(ws: Workspace) -> dict[str, str]:
        return {
            **os.environ,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(ws.root / "tmp"),
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "PYTHONUNBUFFERED": "1",
        }

    def _supervise(
        self, run_id: str, proc: subprocess.Popen[str], pending: _Pending
    ) -> tuple[_Pending, bool]:
        """Pump output lines to the API in batches, heartbeat, and stop the run on cancel."""
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                lines.put(raw.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        last_beat = last_send = time.monotonic()
        killing_since: float | None = None
        abandoned = False
        while True:
            item: str | object | None
            try:
                item = lines.get(timeout=0.2)
            except queue.Empty:
                item = _TICK
            if item is None:
                return pending, abandoned
            if isinstance(item, str):
                pending.lines.append(self._line(item, None))
            now = time.monotonic()
            if len(pending.lines) >= BATCH_LINES or (
                pending.lines and now - last_send >= self.config.batch_interval
            ):
                pending = self._flush(run_id, pending)
                last_send = now
            if now - last_beat >= self.config.heartbeat_every:
                last_beat = now
                beat = self._heartbeat(run_id)
                if beat == "cancel" and killing_since is None:
                    killing_since = now
                    self._signal(proc, signal.SIGTERM)
                elif beat == "gone" and not abandoned:
                    abandoned = True  # failed by the sweeper or taken elsewhere: stop it
                    self._signal(proc, signal.SIGKILL)
            if self.stop.is_set() and killing_since is None:
                killing_since = now
                self._signal(proc, signal.SIGTERM)
            if killing_since is not None and now - killing_since > KILL_GRACE_SECONDS:
                self._signal(proc, signal.SIGKILL)

    # ---- protocol calls ----

    @staticmethod
    def _line(text: str, level: str | None) -> dict[str, Any]:
        return {
            "line": clip(text),  # the server would clip it too; this keeps batches small
            "level": level or classify(text).value,
            "ts": datetime.now(UTC).isoformat(),
        }

    def _flush(self, run_id: str, pending: _Pending, force: bool = False) -> _Pending:
        """Send the pending batch; on failure keep it (and later lines) for the next try."""
        attempts = 10 if force else 1
        while pending.lines:
            batch = _take_batch(pending.lines)
            for attempt in range(attempts):
                try:
                    response = self.api.request(
                        "POST",
                        f"{self.base}/executions/{run_id}/logs",
                        json={"first_seq": pending.first_seq, "lines": batch},
                    )
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code == 200:
                    break
                if response is not None and response.status_code in (404, 409, 422):
                    log.error("log batch refused (%s): dropping it", response.status_code)
                    break
                time.sleep(min(5.0, 0.5 * 2**attempt))
            else:
                return pending  # keep for later
            pending = _Pending(pending.first_seq + len(batch), pending.lines[len(batch) :])
            if not force:
                break
        return pending

    def _heartbeat(self, run_id: str) -> str:
        try:
            response = self.api.request("POST", f"{self.base}/executions/{run_id}/heartbeat")
        except httpx.HTTPError:
            return "unknown"
        if response.status_code in (404, 409):
            return "gone"
        if response.status_code != 200:
            return "unknown"
        return "cancel" if response.json().get("cancel_requested") else "ok"

    def _finish(self, run_id: str, code: int) -> None:
        for attempt in range(10):
            try:
                response = self.api.request(
                    "POST", f"{self.base}/executions/{run_id}/finish", json={"exit_code": code}
                )
                if response.status_code in (200, 404, 409):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(min(5.0, 0.5 * 2**attempt))
        log.error("could not report the end of %s; the sweeper will fail it", run_id)

    @staticmethod
    def _signal(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
        """Signal the whole process group: ansible-playbook and every worker it forked."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
