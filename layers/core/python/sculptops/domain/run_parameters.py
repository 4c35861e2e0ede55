"""What a run's caller supplies is data: the names Ansible reserves, and the checks on a run.

A member triggers a playbook an admin wrote; `extra_vars`, `tags` and `limit` may choose among
what that playbook does, never widen it. Extra vars have Ansible's highest precedence, so a
variable named like a connection, become, shell or interpreter setting (`ansible_*`), a play
keyword, a template global (`lookup`, `omit`) or a magic variable (`hostvars`, `playbook_dir`)
would change how or where the playbook runs. Those names are refused here; the values are
written for Ansible as unsafe text by the agent (`sculptops.agent.workspace`).

No ansible import: the Lambda has no Ansible. A unit test compares these sets with
ansible-core's own so that they cannot drift.
"""

from __future__ import annotations

import re
from typing import Any

from sculptops.domain.catalog import validate_vars
from sculptops.domain.errors import InvalidInput
from sculptops.domain.executions import validate_limit, validate_tags
from sculptops.domain.redaction import CREDENTIAL_REFUSED, holds_credential

# ansible-core 2.19 `ansible.vars.reserved.get_reserved_names()`: play, role, block and task
# keywords plus the template engine's globals. Ansible itself warns when a variable uses one.
ANSIBLE_RESERVED_NAMES: frozenset[str] = frozenset(
    {
        "action",
        "always",
        "any_errors_fatal",
        "args",
        "async",
        "async_val",
        "become",
        "become_exe",
        "become_flags",
        "become_method",
        "become_user",
        "block",
        "changed_when",
        "check_mode",
        "collections",
        "connection",
        "cycler",
        "debugger",
        "delay",
        "delegate_facts",
        "delegate_to",
        "dict",
        "diff",
        "environment",
        "fact_path",
        "failed_when",
        "force_handlers",
        "gather_facts",
        "gather_timeout",
        "handlers",
        "hosts",
        "ignore_errors",
        "ignore_unreachable",
        "joiner",
        "lipsum",
        "local_action",
        "lookup",
        "loop",
        "loop_control",
        "loop_with",
        "max_fail_percentage",
        "module_defaults",
        "name",
        "namespace",
        "no_log",
        "notify",
        "now",
        "omit",
        "order",
        "poll",
        "port",
        "post_tasks",
        "pre_tasks",
        "q",
        "query",
        "range",
        "register",
        "remote_user",
        "rescue",
        "retries",
        "roles",
        "run_once",
        "serial",
        "strategy",
        "tags",
        "tasks",
        "throttle",
        "timeout",
        "undef",
        "until",
        "vars",
        "vars_files",
        "vars_prompt",
        "when",
        "with_",
    }
)

# Magic variables outside the `ansible_` namespace (ansible-core's VariableManager
# `_get_magic_variables`, `Host.get_magic_vars`, `InventoryData` and the "Special Variables"
# reference): Ansible sets them to reflect its own state; a member may not shadow them.
MAGIC_VARIABLES: frozenset[str] = frozenset(
    {
        "environment",
        "group_names",
        "groups",
        "hostvars",
        "inventory_dir",
        "inventory_file",
        "inventory_hostname",
        "inventory_hostname_short",
        "omit",
        "play_hosts",
        "playbook_dir",
        "role_name",
        "role_names",
        "role_path",
        "role_uuid",
        "vars",
    }
)

RESERVED_NAMES: frozenset[str] = ANSIBLE_RESERVED_NAMES | MAGIC_VARIABLES

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")  # fullmatch: `$` would allow a "\n"


def is_reserved(name: str) -> bool:
    """A name Ansible reserves: one of RESERVED_NAMES, or in the `ansible_` namespace.

    The namespace is matched in any case and after leading underscores (`ANSIBLE_become`,
    `_ansible_no_log`): Ansible reads its own variables case-sensitively today, but no
    playbook variable of a member needs to look like one, and refusing every spelling leaves
    nothing to a plugin or a later release that normalises case or reads `_ansible_*`
    internals (as the module arguments do).
    """
    return name in RESERVED_NAMES or name.lstrip("_").lower().startswith("ansible_")


def validate_extra_vars(value: Any) -> dict[str, Any]:
    """A JSON object of valid variable names, none of them reserved (422 naming the key)."""
    checked = validate_vars(value, "extra_vars")
    for key in checked:
        if not _NAME_RE.fullmatch(key):
            raise InvalidInput("extra_vars", "a variable name is letters, digits and '_' only")
        if is_reserved(key):
            raise InvalidInput(
                f"extra_vars.{key}",
                "is a name Ansible reserves (its connection, become, shell and interpreter "
                "variables, play keywords, magic variables); a run's variables cannot set it",
            )
    return checked  # validate_vars refused any credential in it, naming where


def _no_credential(where: str, text: str) -> None:
    """A run's parameters are shown to every viewer of the tenant and in its log."""
    if holds_credential(text):
        raise InvalidInput(where, CREDENTIAL_REFUSED)


def validate_run_parameters(
    extra_vars: Any, tags: Any, limit: Any
) -> tuple[dict[str, Any], list[str], str | None]:
    """All of a run's caller-supplied parameters, as the trigger and the agent check them."""
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput("tags", "must be a list of strings")
    if limit is not None and not isinstance(limit, str):
        raise InvalidInput("limit", "must be a string")
    checked = (
        validate_extra_vars({} if extra_vars is None else extra_vars),
        validate_tags(tags),
        validate_limit(limit),
    )
    for i, tag in enumerate(checked[1]):
        _no_credential(f"tags.{i}", tag)
    for glue in (".", ""):
        _no_credential("tags", glue.join(checked[1]))  # nor in pieces, one tag each
    if checked[2] is not None:
        _no_credential("limit", checked[2])
    return checked
