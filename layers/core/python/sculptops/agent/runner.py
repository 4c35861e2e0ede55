"""The agent loop: claim a run, execute ansible-playbook, stream its lines, heartbeat, finish.

It talks to the API only (the same routes through the same gateway as any client), retries
with backoff and jitter, and never loses a log line it has read: a batch that could not be
sent is sent again, and the server stores a resent batch once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
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

from sculptops import __version__
from sculptops.agent.workspace import (
    RunUser,
    Workspace,
    close_agent_directory,
    open_agent_directory,
    prepare,
    remove_stale_agent_directories,
)
from sculptops.api_client import ApiClient
from sculptops.domain.errors import InvalidInput
from sculptops.domain.logs import classify, clip
from sculptops.domain.run_parameters import validate_run_parameters

log = logging.getLogger("sculptops.agent")

USER_AGENT = f"sculptops-agent/{__version__}"

BATCH_LINES = 200
KILL_GRACE_SECONDS = 5.0
# The exit code reported for a stored run the agent refuses to start (its parameters break the
# rules for a run's data): not one of ansible-playbook's own codes.
REFUSED_EXIT_CODE = 126
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_TICK = object()  # nothing read within the wait: time to send, beat, or check for cancel


@dataclass
class AgentConfig:
    url: str
    token: str
    tenant: str = "active"
    poll_min: float = 1.0
    # An idle agent asks at least this often, so a triggered run starts within ~2 s.
    poll_max: float = 2.0
    # Also how soon a cancel is noticed: a heartbeat's answer says whether one was requested.
    heartbeat_every: float = 3.0
    batch_interval: float = 0.5
    max_runs: int | None = None  # stop after this many runs (tests, one-shot agents)
    max_idle_seconds: float | None = None  # stop after this long without work
    ansible_playbook: str | None = None
    # Root only: run playbooks as this unprivileged user (`sculptops agent --run-as USER`).
    run_as: str | None = None


def resolve_run_user(name: str | None) -> RunUser:
    """Who playbooks run as: `name` (which needs root unless it is the agent's own user), or
    the agent's own user. ValueError says why a name cannot be used."""
    euid = os.geteuid()
    if name:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise ValueError(f"--run-as: no user {name!r} on this host") from None
        if euid not in (0, entry.pw_uid):
            raise ValueError(f"--run-as {name}: only an agent running as root can switch user")
    else:
        try:
            entry = pwd.getpwuid(euid)
        except KeyError:  # a container's arbitrary uid without a passwd entry
            return RunUser(name=str(euid), uid=euid, gid=os.getegid(), groups=os.getgroups())
    groups = os.getgrouplist(entry.pw_name, entry.pw_gid)
    return RunUser(name=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid, groups=groups)


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
        self.api = ApiClient(
            config.url, config.token, user_agent=USER_AGENT, retries=5, stop=self.stop
        )
        self.base = f"/api/v1/{config.tenant}"
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

    def _loop(self) -> None:
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

    def claim(self) -> dict[str, Any] | None:
        response = self.api.request("POST", f"{self.base}/agents/claim")
        if response.status_code == 204:
            return None
        if response.status_code != 200:
            raise RuntimeError(f"claim answered {response.status_code}")
        data: dict[str, Any] = response.json()
        return data

    # ---- one run ----

    def command(self, ws: Workspace, tags: list[str], limit: str | None) -> list[str]:
        """The argv: a tag list and a limit are each one `--opt=value` element, never an
        option or a file of their own (they are validated too: no leading `-` or `@`)."""
        cmd = [self.ansible, "-i", str(ws.inventory), str(ws.playbook), "-e", f"@{ws.extra_vars}"]
        if tags:
            cmd.append(f"--tags={','.join(tags)}")
        if limit:
            cmd.append(f"--limit={limit}")
        return cmd

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
            refused = _Pending(first_seq=1)
            refused.lines.append(
                self._line(
                    f"SculptOps: refusing to run: {exc.message} (a run's parameters are data, "
                    "never code or options); the run is marked failed",
                    "error",
                )
            )
            self._flush(run_id, refused, force=True)
            self._finish(run_id, REFUSED_EXIT_CODE)
            return
        user = self.run_user
        ws = prepare(
            claimed["playbook"], claimed["inventory"], extra_vars, owner=user, parent=self.directory
        )
        try:
            cmd = self.command(ws, tags, limit)
            pending = _Pending(first_seq=1, lines=self._header(claimed, ws, cmd))
            switch: dict[str, Any] = {}
            if user.uid != os.geteuid():
                switch = {"user": user.uid, "group": user.gid, "extra_groups": user.groups}
            try:
                proc = subprocess.Popen(
                    cmd,
                    cwd=ws.root,
                    env=self._environment(ws, user, self.ansible),
                    umask=0o077,
                    **switch,
                    stdin=subprocess.DEVNULL,
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
            try:
                pending, abandoned = self._supervise(run_id, proc, pending)
            except BaseException:  # interrupted at once (a second Ctrl-C): leave nothing running
                self._signal(proc, signal.SIGKILL)
                raise
            code = proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()  # the reader has seen its end: _supervise returned
            # Whatever ansible-playbook left behind in its group (a task's child that outlived
            # it after a cancel) goes too: a run leaves no process running.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            if not abandoned:
                if self.stop.is_set():
                    pending.lines.append(
                        self._line("SculptOps: the agent is stopping: the run was stopped", "error")
                    )
                pending.lines.append(
                    self._line(f"SculptOps: ansible-playbook exited with {code}", "info")
                )
                self._flush(run_id, pending, force=True)
                self._finish(run_id, code)
        finally:
            ws.cleanup()

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
            self._line(
                f"SculptOps: {claimed['playbook']['name']} on {claimed['inventory']['name']}",
                "info",
            ),
            self._line(who, "info"),
            self._line("$ " + shown.replace(f"{ws.root}/", ""), "info"),
        ]

    @staticmethod
    def _environment(ws: Workspace, user: RunUser, ansible: str) -> dict[str, str]:
        """An allow-list, nothing inherited but PATH: a playbook's `lookup('env', ...)` finds
        no agent token, pepper or cloud credential. HOME and TMPDIR are the run's workspace."""
        path = os.environ.get("PATH") or DEFAULT_PATH
        return {
            "PATH": f"{Path(ansible).parent}{os.pathsep}{path}",
            "HOME": str(ws.root),
            "TMPDIR": str(ws.tmp),
            "USER": user.name,
            "LOGNAME": user.name,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(ws.tmp),
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
                # A stopping agent tries once: it must be gone before it is killed.
                if self.stop.wait(min(5.0, 0.5 * 2**attempt)):
                    return pending
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
            if self.stop.wait(min(5.0, 0.5 * 2**attempt)):
                break
        log.error("could not report the end of %s; the sweeper will fail it", run_id)

    @staticmethod
    def _signal(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
        """Signal the whole process group: ansible-playbook and every worker it forked."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
