"""A private temporary directory holding one run's playbook, inventory and variables."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Workspace:
    root: Path
    playbook: Path
    inventory: Path
    extra_vars: Path

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def inventory_document(inventory: dict[str, Any]) -> dict[str, Any]:
    """The API's inventory as Ansible's YAML inventory: all hosts, host vars, group vars."""
    hosts = {h["name"]: (h.get("vars") or {}) for h in inventory["hosts"]}
    return {"all": {"hosts": hosts, "vars": inventory.get("vars") or {}}}


def prepare(
    playbook: dict[str, Any], inventory: dict[str, Any], extra_vars: dict[str, Any]
) -> Workspace:
    root = Path(tempfile.mkdtemp(prefix="sculptops-run-"))
    os.chmod(root, 0o700)
    ws = Workspace(
        root=root,
        playbook=root / "playbook.yml",
        inventory=root / "inventory.yml",
        extra_vars=root / "extra_vars.json",
    )
    ws.playbook.write_text(playbook["content"], encoding="utf-8")
    ws.inventory.write_text(yaml.safe_dump(inventory_document(inventory)), encoding="utf-8")
    ws.extra_vars.write_text(json.dumps(extra_vars), encoding="utf-8")
    for f in (ws.playbook, ws.inventory, ws.extra_vars):
        os.chmod(f, 0o600)
    return ws
