"""The agent loop: claim a run, execute ansible-playbook, stream its lines, heartbeat, finish.

The pieces: agent/protocol.py (the HTTP calls), agent/process.py (the ansible-playbook process),
agent/retry.py (the one retry policy), agent/workspace.py (a run's files).
"""

from __future__ import annotations

import logging
import random
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sculptops.agent.process import (
    PlaybookProcess,
    find_ansible_playbook,
    playbook_command,
    resolve_run_user,
)
from sculptops.agent.protocol import (
    BATCH_LINES,
    USER_AGENT,
    AgentProtocol,
    ClaimFailed,
    PendingLog,
    log_line,
)
from sculptops.agent.retry import CLAIM
from sculptops.agent.workspace import (
    Workspace,
    close_agent_directory,
    open_agent_directory,
    prepare,
    remove_stale_agent_directories,
)
from sculptops.api_client import ApiClient
from sculptops.domain.errors import InvalidInput
from sculptops.domain.run_parameters import validate_run_parameters

log = logging.getLogger("sculptops.agent")

# The exit code reported for a stored run the agent refuses to start (its parameters break the
# rules for a run's data): not one of ansible-playbook's own codes.
REFUSED_EXIT_CODE = 126
# ... and for one whose ansible-playbook cannot be started, as a shell says it.
NOT_STARTED_EXIT_CODE = 127


@dataclass
class AgentConfig:
    url: str
    token: str
    tenant: str = "active"
    # An idle agent asks for work every poll_max x U(0.75, 1) seconds (short polling at a fixed
    # pace, issue 16): a triggered run starts within 1.5 s, p95 ~1.4 s; about 2,700 claims an
    # hour. A long-polled claim was measured against it and not chosen (docs/BENCHMARKS.md:
    # it bills the function while it waits, holds Lambda concurrency, and delays a stop).
    poll_min: float = 1.5
    poll_max: float = 1.5
    # Also how soon a cancel is noticed: a heartbeat's answer says whether one was requested.
    heartbeat_every: float = 3.0
    batch_interval: float = 0.5
    max_runs: int | None = None  # stop after this many runs (tests, one-shot agents)
    max_idle_seconds: float | None = None  # stop after this long without work
    ansible_playbook: str | None = None
    # Root only: run playbooks as this unprivileged user (`sculptops agent --run-as USER`).
    run_as: str | None = None


class Agent:
    def __init__(self, config: AgentConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        # retries=0: the client sends each request once; agent/retry.py decides on retries.
        client = ApiClient(config.url, config.token, user_agent=USER_AGENT, retries=0)
        self.protocol = AgentProtocol(client, config.tenant, self.stop)
        self.ansible = config.ansible_playbook or find_ansible_playbook()
        self.run_user = resolve_run_user(config.run_as)
        self.runs = 0
        # Where run_forever puts its runs' workspaces (`sculptops-agent-<pid>`), removed at exit.
        self.directory: Path | None = None

    # ---- the loop ----

    def run_forever(self) -> None:
        """Poll for work until stopped (or max_runs / max_idle_seconds are reached).

        Workspaces go in this agent's own directory, removed when it ends; directories left by
        this user's agents that were killed outright are removed first."""
        stale = remove_stale_agent_directories()
        if stale:
            log.info("removed %d directories of agents that are gone", stale)
        self.directory = open_agent_directory()
        try:
            self._loop()
        finally:
            close_agent_directory(self.directory)
            self.directory = None

    def _idle_too_long(self, idle_since: float) -> bool:
        limit = self.config.max_idle_seconds
        return limit is not None and time.monotonic() - idle_since > limit

    def _loop(self) -> None:
        delay = self.config.poll_min
        idle_since = time.monotonic()
        failures = 0
        while not self.stop.is_set():
            try:
                claimed = self.protocol.claim()
            except ClaimFailed as exc:
                failures += 1
                log.warning("claim failed (%s); retrying", exc.reason)
                if self._idle_too_long(idle_since):
                    return
                self.stop.wait(CLAIM.delay(failures, exc.retry_after))
                continue
            failures = 0
            if claimed is None:
                if self._idle_too_long(idle_since):
                    return
                # Jitter below the delay only: agents spread out, none waits over poll_max.
                self.stop.wait(delay * random.uniform(0.75, 1.0))  # noqa: S311
                delay = min(self.config.poll_max, delay * 1.5)
                continue
            delay = self.config.poll_min
            self.execute(claimed)
            idle_since = time.monotonic()
            self.runs += 1
            if self.config.max_runs is not None and self.runs >= self.config.max_runs:
                return

    # ---- one run ----

    def command(self, ws: Workspace, tags: list[str], limit: str | None) -> list[str]:
        return playbook_command(self.ansible, ws, tags, limit)

    def execute(self, claimed: dict[str, Any]) -> None:
        """Run one claimed execution to its end and report it."""
        execution = claimed["execution"]
        run_id = execution["id"]
        try:
            # Checked at trigger time; checked again here, so that no stored run whose
            # parameters break the rules (written before them, or not through the API) runs.
            extra_vars, tags, limit = validate_run_parameters(
                execution.get("extra_vars"), execution.get("tags"), execution.get("limit")
            )
        except InvalidInput as exc:
            refusal = (
                f"SculptOps: refusing to run: {exc.message} (a run's parameters are data, "
                "never code or options); the run is marked failed"
            )
            self._report(run_id, PendingLog(1, [log_line(refusal, "error")]), REFUSED_EXIT_CODE)
            return
        user = self.run_user
        ws = prepare(
            claimed["playbook"], claimed["inventory"], extra_vars, owner=user, parent=self.directory
        )
        try:
            cmd = self.command(ws, tags, limit)
            pending = PendingLog(first_seq=1, lines=self._header(claimed, ws, cmd))
            try:
                playbook = PlaybookProcess.start(cmd, ws, user, self.ansible)
            except OSError as exc:
                pending.lines.append(
                    log_line(f"SculptOps: cannot start ansible-playbook: {exc}", "error")
                )
                self._report(run_id, pending, NOT_STARTED_EXIT_CODE)
                return
            try:
                pending, abandoned = self._supervise(run_id, playbook, pending)
            except BaseException:  # interrupted at once (a second Ctrl-C): leave nothing running
                playbook.kill()
                raise
            code = playbook.reap()
            if not abandoned:
                if self.stop.is_set():
                    pending.lines.append(
                        log_line("SculptOps: the agent is stopping: the run was stopped", "error")
                    )
                pending.lines.append(
                    log_line(f"SculptOps: ansible-playbook exited with {code}", "info")
                )
                self._report(run_id, pending, code)
        finally:
            ws.cleanup()

    def _report(self, run_id: str, pending: PendingLog, code: int) -> None:
        """A run's last lines, then its end."""
        self.protocol.send_logs(run_id, pending, final=True)
        self.protocol.finish(run_id, code)

    def _header(
        self, claimed: dict[str, Any], ws: Workspace, cmd: list[str]
    ) -> list[dict[str, Any]]:
        """A run's first lines: what runs where, as whom, with which command."""
        shown = " ".join(["ansible-playbook", *(shlex.quote(a) for a in cmd[1:])])
        if self.run_user.uid == 0:
            who = (
                "SculptOps: running as root (no unprivileged user configured: "
                "see `sculptops agent --run-as USER` in the README)"
            )
        else:
            who = f"SculptOps: running as {self.run_user.name}"
        return [
            log_line(
                f"SculptOps: {claimed['playbook']['name']} on {claimed['inventory']['name']}",
                "info",
            ),
            log_line(who, "info"),
            log_line("$ " + shown.replace(f"{ws.root}/", ""), "info"),
        ]

    def _supervise(
        self, run_id: str, playbook: PlaybookProcess, pending: PendingLog
    ) -> tuple[PendingLog, bool]:
        """Pump output lines to the API in batches, heartbeat, and stop the run on cancel.

        Returns what is left to send and whether the run was abandoned (no longer this
        agent's: failed by the sweeper or taken elsewhere)."""
        last_beat = last_send = time.monotonic()
        abandoned = False
        while True:
            item = playbook.next_line(timeout=0.2)
            if item is None:
                return pending, abandoned
            if isinstance(item, str):
                pending.lines.append(log_line(item, None))
            now = time.monotonic()
            if len(pending.lines) >= BATCH_LINES or (
                pending.lines and now - last_send >= self.config.batch_interval
            ):
                pending = self.protocol.send_logs(run_id, pending)
                last_send = now
            if now - last_beat >= self.config.heartbeat_every:
                last_beat = now
                beat = self.protocol.heartbeat(run_id)
                if beat == "cancel":
                    playbook.stop(now)
                elif beat == "gone" and not abandoned:
                    abandoned = True  # failed by the sweeper or taken elsewhere: stop it
                    playbook.kill()
            if self.stop.is_set():
                playbook.stop(now)
            playbook.escalate(now)
