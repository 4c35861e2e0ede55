"""Playbooks and inventories, and the rules their content must follow."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sculptops.domain.errors import InvalidInput
from sculptops.domain.redaction import CREDENTIAL_REFUSED, credential_at, holds_credential

PLAYBOOK_MAX_BYTES = 256 * 1024
NAME_MAX = 100
HOSTS_MAX = 1000
VARS_MAX_BYTES = 64 * 1024
# Bounds checked on the YAML event stream before anything is composed: PyYAML's composer
# recurses once per level (RecursionError), and aliases are how "billion laughs" expands.
YAML_DEPTH_MAX = 64
YAML_NODES_MAX = 100_000
_HOST_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,252}")
_VAR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


@dataclass(frozen=True)
class Playbook:
    id: str
    tenant: str
    name: str
    content: str
    created_at: datetime
    updated_at: datetime
    readable: bool = True  # False: the stored item could not be read back whole


@dataclass(frozen=True)
class Host:
    name: str
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Inventory:
    id: str
    tenant: str
    name: str
    hosts: list[Host]
    vars: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    readable: bool = True  # False: the stored item could not be read back whole


def validate_name(name: str, field_name: str = "name") -> str:
    clean = name.strip()
    if not 1 <= len(clean) <= NAME_MAX:
        raise InvalidInput(field_name, f"must be 1 to {NAME_MAX} characters")
    if holds_credential(clean):
        raise InvalidInput(field_name, CREDENTIAL_REFUSED)
    return clean


def validate_playbook(content: str) -> list[dict[str, Any]]:
    """Parse playbook YAML safely: a non-empty list of plays, each a mapping with `hosts`."""
    if len(content.encode("utf-8")) > PLAYBOOK_MAX_BYTES:
        raise InvalidInput("content", f"is larger than {PLAYBOOK_MAX_BYTES // 1024} KiB")
    if holds_credential(content):  # a token pasted into a task: every viewer reads playbooks
        raise InvalidInput("content", CREDENTIAL_REFUSED)
    import yaml  # here, not at import: the authorizer never parses playbooks

    try:
        _bounded_yaml(content)
        plays = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InvalidInput("content", f"is not valid YAML{where}") from None
    except InvalidInput:
        raise  # the bounds of _bounded_yaml, with their own message
    except Exception:
        # PyYAML lets Python's own conversions fail through: an integer over 4300 digits
        # (int-str conversion limit), a date like 0000-01-01, `!!bool maybe` (KeyError),
        # `!!int _` (IndexError), ... Whatever its parser cannot read is bad input, never a
        # 500; the exception's text is not echoed.
        raise InvalidInput("content", "is not valid YAML: a value in it cannot be read") from None
    if not isinstance(plays, list) or not plays:
        raise InvalidInput("content", "must be a YAML list of plays")
    for i, play in enumerate(plays):
        if not isinstance(play, dict):
            raise InvalidInput("content", f"play {i + 1} is not a mapping")
        if "import_playbook" in play or "ansible.builtin.import_playbook" in play:
            raise InvalidInput("content", f"play {i + 1}: import_playbook is not supported")
        hosts = play.get("hosts")
        if not isinstance(hosts, str | list) or not hosts:
            raise InvalidInput("content", f"play {i + 1} has no `hosts`")
    return plays


def _bounded_yaml(content: str) -> None:
    """InvalidInput when the YAML nests too deeply or its aliases expand to too many nodes."""
    import yaml

    depth = 0
    nodes = 0  # as if every alias were expanded in place
    sizes: dict[str, int] = {}  # anchor -> expanded size of its node
    open_anchors: list[tuple[str | None, int]] = []
    # The parser is a state machine (no recursion): its events are safe to count.
    for event in yaml.parse(content, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > YAML_DEPTH_MAX:
                raise InvalidInput("content", f"nested too deeply (more than {YAML_DEPTH_MAX})")
            open_anchors.append((event.anchor, nodes))
            nodes += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, start = open_anchors.pop()
            if anchor is not None:
                sizes[anchor] = nodes - start
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            nodes += sizes.get(event.anchor or "", 1)
        if nodes > YAML_NODES_MAX:
            raise InvalidInput("content", f"expands to more than {YAML_NODES_MAX} nodes")


def validate_vars(value: Any, field_name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(field_name, "must be a JSON object")
    for key in value:
        if not isinstance(key, str) or not _VAR_NAME_RE.fullmatch(key):
            raise InvalidInput(field_name, f"{key!r} is not a valid variable name")
    try:
        encoded = json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except ValueError:  # NaN or Infinity; a lone surrogate (UnicodeEncodeError)
        raise InvalidInput(
            field_name, "must be JSON text: finite numbers, no lone surrogate"
        ) from None
    except RecursionError:
        raise InvalidInput(field_name, "is nested too deeply") from None
    if len(encoded) > VARS_MAX_BYTES:
        raise InvalidInput(field_name, f"is larger than {VARS_MAX_BYTES // 1024} KiB")
    if b"\\u0000" in encoded.replace(b"\\\\", b""):
        raise InvalidInput(field_name, "must not contain NUL (\\u0000)")
    found = credential_at(value, field_name)
    if found is not None:
        raise InvalidInput(found, CREDENTIAL_REFUSED)
    return value


def validate_hosts(hosts: list[Host]) -> list[Host]:
    if not hosts:
        raise InvalidInput("hosts", "must name at least one host")
    if len(hosts) > HOSTS_MAX:
        raise InvalidInput("hosts", f"at most {HOSTS_MAX} hosts")
    seen = set()
    for i, host in enumerate(hosts):
        if not _HOST_RE.fullmatch(host.name):
            raise InvalidInput(f"hosts.{i}.name", "must be a hostname or an address")
        if host.name in seen:
            raise InvalidInput(f"hosts.{i}.name", f"{host.name} is listed twice")
        seen.add(host.name)
        validate_vars(host.vars, f"hosts.{i}.vars")
    return hosts
