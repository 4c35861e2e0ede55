"""A private temporary directory holding one run's playbook, inventory and variables.

Each run's workspace lives in its agent's own directory, `sculptops-agent-<pid>` under the
system temp dir, which the agent removes when it stops. An agent killed outright (SIGKILL)
cannot: the next agent of the same user removes directories whose agent is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

UNSAFE = "!unsafe"
AGENT_DIR_PREFIX = "sculptops-agent-"
_AGENT_DIR = re.compile(r"sculptops-agent-([1-9][0-9]{0,9})")
# How many entries of the temp dir one start looks at: a crowded /tmp costs a bounded time.
STALE_SCAN_LIMIT = 10_000


class _UnsafeDumper(yaml.SafeDumper):
    """Every mapping and list is tagged `!unsafe`: all that it holds is data, never a template.

    ansible-core 2.19 builds everything under an `!unsafe` node as untrusted (its constructor
    counts the depth), so every string below, keys included, stays literal text; strings are
    quoted as plain YAML quotes them, so "123", "true" or "" stay strings. Tagging each string
    instead, as AWX's `safe_dump` does, would not: 2.19 re-resolves an `!unsafe` scalar as if
    it were plain, turning "123" into 123 and "" into null.
    """

    def represent_dict(self, data: Any) -> yaml.MappingNode:
        return self.represent_mapping(UNSAFE, data)

    def represent_list(self, data: Any) -> yaml.SequenceNode:
        return self.represent_sequence(UNSAFE, data)


_UnsafeDumper.add_representer(dict, _UnsafeDumper.represent_dict)
_UnsafeDumper.add_representer(list, _UnsafeDumper.represent_list)


def extra_vars_document(extra_vars: dict[str, Any]) -> str:
    """The YAML for `ansible-playbook -e @file`: the variables as unsafe text at every depth."""
    text: str = yaml.dump(
        extra_vars,
        Dumper=_UnsafeDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        explicit_start=True,
        width=2**31 - 1,  # no folded lines: each value is written on as few lines as it has
    )
    return text


@dataclass(frozen=True)
class RunUser:
    """The account a playbook runs as (the agent's own unless it is root with --run-as)."""

    name: str
    uid: int
    gid: int
    groups: list[int]


@dataclass
class Workspace:
    root: Path
    playbook: Path
    inventory: Path
    extra_vars: Path

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def inventory_document(inventory: dict[str, Any]) -> dict[str, Any]:
    """The API's inventory as Ansible's YAML inventory: all hosts, host vars, group vars."""
    hosts = {h["name"]: (h.get("vars") or {}) for h in inventory["hosts"]}
    return {"all": {"hosts": hosts, "vars": inventory.get("vars") or {}}}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_agent_directories(base: Path | None = None) -> int:
    """Remove the directories of this user's agents that are gone (killed before their own
    cleanup). Only `sculptops-agent-<pid>` directories (not links) owned by this user whose
    process no longer exists; at most STALE_SCAN_LIMIT entries are looked at. How many went."""
    base = Path(base or tempfile.gettempdir())
    me, removed = os.geteuid(), 0
    try:
        entries = os.scandir(base)
    except OSError:
        return 0
    with entries:
        for seen, entry in enumerate(entries):
            if seen >= STALE_SCAN_LIMIT:
                break
            m = _AGENT_DIR.fullmatch(entry.name)
            if m is None or int(m.group(1)) == os.getpid():
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != me or _pid_alive(int(m.group(1))):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    return removed


def open_agent_directory(base: Path | None = None) -> Path:
    """This agent's directory for its runs' workspaces: `sculptops-agent-<pid>`, 0711 (a
    `--run-as` user reaches its own workspace by name, and lists nothing)."""
    path = Path(base or tempfile.gettempdir()) / f"{AGENT_DIR_PREFIX}{os.getpid()}"
    if path.is_symlink() or path.exists():  # a dead agent's, that had this pid
        st = path.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            raise RuntimeError(f"{path} exists and is not this user's directory")
        shutil.rmtree(path)
    path.mkdir(mode=0o700)
    os.chmod(path, 0o711)  # noqa: S103 - traverse only: no one lists it, runs are 0700
    return path


def close_agent_directory(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def prepare(
    playbook: dict[str, Any],
    inventory: dict[str, Any],
    extra_vars: dict[str, Any],
    owner: RunUser | None = None,
    parent: Path | None = None,
) -> Workspace:
    """A 0700 directory (HOME and TMPDIR of the run) with the run's files, owned by `owner`,
    in `parent` (the agent's directory) or the system temp dir."""
    root = Path(tempfile.mkdtemp(prefix="sculptops-run-", dir=parent))
    ws = Workspace(
        root=root,
        playbook=root / "playbook.yml",
        inventory=root / "inventory.yml",
        extra_vars=root / "extra_vars.yml",
    )
    try:
        os.chmod(root, 0o700)
        ws.tmp.mkdir(mode=0o700)
        ws.playbook.write_text(playbook["content"], encoding="utf-8")
        ws.inventory.write_text(yaml.safe_dump(inventory_document(inventory)), encoding="utf-8")
        ws.extra_vars.write_text(extra_vars_document(extra_vars), encoding="utf-8")
        for f in (ws.playbook, ws.inventory, ws.extra_vars):
            os.chmod(f, 0o600)
        if owner is not None and owner.uid != os.geteuid():
            for path in (root, ws.tmp, ws.playbook, ws.inventory, ws.extra_vars):
                os.chown(path, owner.uid, owner.gid)
    except BaseException:
        ws.cleanup()
        raise
    return ws
