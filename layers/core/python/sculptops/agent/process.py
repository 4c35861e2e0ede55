"""ansible-playbook for one run: as whom, with which argv and environment, and how it stops.

The process runs in a session of its own, so that a signal reaches it and every worker it
forked; a stop is SIGTERM, then SIGKILL after a grace period; when it ends, whatever is left in
its group goes too: a run leaves no process running.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sculptops.agent.workspace import RunUser, Workspace

KILL_GRACE_SECONDS = 5.0
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TICK = object()  # nothing read within the wait: time to send, beat, or check for cancel


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


def playbook_command(ansible: str, ws: Workspace, tags: list[str], limit: str | None) -> list[str]:
    """The argv: a tag list and a limit are each one `--opt=value` element, never an option or
    a file of their own (they are validated too: no leading `-` or `@`)."""
    cmd = [ansible, "-i", str(ws.inventory), str(ws.playbook), "-e", f"@{ws.extra_vars}"]
    if tags:
        cmd.append(f"--tags={','.join(tags)}")
    if limit:
        cmd.append(f"--limit={limit}")
    return cmd


def run_environment(ws: Workspace, user: RunUser, ansible: str) -> dict[str, str]:
    """An allow-list, nothing inherited but PATH: a playbook's `lookup('env', ...)` finds no
    agent token, pepper or cloud credential. HOME and TMPDIR are the run's workspace."""
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


class PlaybookProcess:
    """A started ansible-playbook: its output line by line, and stopping it."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.stopping_since: float | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def start(cls, cmd: list[str], ws: Workspace, user: RunUser, ansible: str) -> PlaybookProcess:
        """Start it in the workspace, as `user`, in a session of its own; OSError if it cannot."""
        switch: dict[str, Any] = {}
        if user.uid != os.geteuid():
            switch = {"user": user.uid, "group": user.gid, "extra_groups": user.groups}
        proc = subprocess.Popen(
            cmd,
            cwd=ws.root,
            env=run_environment(ws, user, ansible),
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
        return cls(proc)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._lines.put(raw.rstrip("\n"))
        self._lines.put(None)

    def next_line(self, timeout: float) -> str | object | None:
        """The next line of output; TICK if none came within `timeout`; None at its end."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return TICK

    def stop(self, now: float) -> None:
        """SIGTERM, once; `escalate` kills it if it is still running after the grace period."""
        if self.stopping_since is None:
            self.stopping_since = now
            self.signal(signal.SIGTERM)

    def escalate(self, now: float) -> None:
        if self.stopping_since is not None and now - self.stopping_since > KILL_GRACE_SECONDS:
            self.signal(signal.SIGKILL)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)

    def reap(self) -> int:
        """Wait for its exit code (its output was read to the end), then end its group."""
        code = self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        # Whatever ansible-playbook left behind in its group (a task's child that outlived it
        # after a cancel) goes too: a run leaves no process running.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return code

    def signal(self, sig: signal.Signals) -> None:
        """Signal the whole process group: ansible-playbook and every worker it forked."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
