"""A run's parameters are data, never code or options; the agent host keeps its secrets.

Replays, over HTTP against the local stack and its embedded agents (real ansible-playbook), what a
probe with nothing but the API did: a member ran shell commands on the agent host through
`ansible_shell_executable`, had `{{ lookup(...) }}` templated in an extra var, made `--limit` read
a workspace file, and read the agent's token from a playbook's environment.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.stack import Stack

PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"
V1 = "/api/v1/demo/executions"
COMPAT = "/api/executions"


@pytest.fixture(scope="module")
def member(stack: Stack) -> str:
    r = httpx.post(f"{stack.url}/dev/oidc/token", json={"username": "member@demo"}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _trigger(stack: Stack, token: str, path: str, **fields: Any) -> httpx.Response:
    ids = {"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
    if path == COMPAT:
        ids = {"playbookId": PING_ID, "inventoryId": LOCAL_ID}
        if "extra_vars" in fields:
            fields["extraVars"] = fields.pop("extra_vars")
    with stack.client(token) as c:
        return c.post(path, json={**ids, **fields})


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["errors"][0]["field"] == field, body
    assert body["message"].startswith(f"Invalid request: {field}: ")


@pytest.mark.parametrize("path", [V1, COMPAT])
@pytest.mark.parametrize(
    "key",
    [
        "ansible_shell_executable",
        "ansible_become",
        "ANSIBLE_become",
        "Ansible_Become_Method",
        "ansible_python_interpreter",
        "ansible_connection",
        "hostvars",
        "inventory_hostname",
        "playbook_dir",
        "omit",
        "environment",
        "vars",
        "lookup",
    ],
)
def test_a_reserved_variable_name_is_refused_naming_the_key(
    stack: Stack, member: str, path: str, key: str
) -> None:
    r = _trigger(stack, member, path, extra_vars={"who": "me", key: "echo $(id -un) #"})
    # The field as the surface spells it; the caller's own key as sent
    _refused(r, f"{'extraVars' if path == COMPAT else 'extra_vars'}.{key}")


@pytest.mark.parametrize("path", [V1, COMPAT])
@pytest.mark.parametrize(
    "limit", ["@extra_vars.json", "@extra_vars.yml", "localhost,@inventory.yml", "-e x", "--help"]
)
def test_a_limit_that_is_a_file_or_an_option_is_refused(
    stack: Stack, member: str, path: str, limit: str
) -> None:
    _refused(_trigger(stack, member, path, limit=limit), "limit")


@pytest.mark.parametrize("path", [V1, COMPAT])
@pytest.mark.parametrize("tag", ["-t", "@x", "--help"])
def test_a_tag_that_is_a_file_or_an_option_is_refused(
    stack: Stack, member: str, path: str, tag: str
) -> None:
    _refused(_trigger(stack, member, path, tags=["ping", tag]), "tags.1")


def _playbook(stack: Stack, name: str, content: str) -> str:
    with stack.client(stack.token) as c:  # an admin writes playbooks
        r = c.post("/api/v1/demo/playbooks", json={"name": name, "content": content})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _run_log(stack: Stack, token: str, playbook_id: str, **fields: Any) -> tuple[str, str]:
    """Trigger as `token`, follow the log until complete (bounded); the status and the text."""
    with stack.client(token) as c:
        r = c.post(V1, json={"playbook_id": playbook_id, "inventory_id": LOCAL_ID, **fields})
        assert r.status_code == 201, r.text
        run = r.json()["id"]
        lines: list[str] = []
        after = 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            batch = c.get(f"{V1}/{run}/logs", params={"after": after}).json()
            lines += [line["line"] for line in batch["lines"]]
            after = batch["next"]
            if batch["complete"]:
                return str(batch["status"]), "\n".join(lines)
            time.sleep(max(0.2, batch["poll_after_ms"] / 1000))
    raise AssertionError(f"run {run} did not complete in 90 s:\n" + "\n".join(lines))


PRINT_V = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.debug: msg="{{ v }}"
"""


def test_a_members_template_stays_literal_text(stack: Stack, member: str) -> None:
    # Given an admin's playbook that prints a variable
    playbook = _playbook(stack, "print-v", PRINT_V)
    # When a member passes a template as its value
    status, text = _run_log(stack, member, playbook, extra_vars={"v": "{{ 6*7 }}"})
    # Then the run prints the text, not its value
    assert status == "success", text
    assert '"msg": "{{ 6*7 }}"' in text and '"msg": "42"' not in text
    # And so at any depth: a lookup in a list in a dict is never run
    nested = {"v": {"a": ["{{ lookup('pipe','id') }}"]}}
    status, text = _run_log(stack, member, playbook, extra_vars=nested)
    assert status == "success", text
    assert "\"{{ lookup('pipe','id') }}\"" in text and "uid=" not in text


PRINT_ENV = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "{{ item }}={{ lookup('env', item) | length }}"
      loop: [SCULPTOPS_AGENT_TOKEN, SCULPTOPS_TOKEN_PEPPER, AWS_SECRET_ACCESS_KEY,
             AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN]
    - ansible.builtin.debug:
        msg: "home={{ lookup('env', 'HOME') }}"
"""


def test_a_playbook_finds_none_of_the_agents_secrets_in_its_environment(
    stack: Stack, member: str
) -> None:
    # Given an admin's playbook that measures the agent's secrets in its environment
    playbook = _playbook(stack, "print-env", PRINT_ENV)
    # When it runs on the embedded agent (which holds its token, the pepper and AWS variables)
    status, text = _run_log(stack, member, playbook)
    # Then it finds none of them, and its HOME is the run's workspace
    assert status == "success", text
    for name in (
        "SCULPTOPS_AGENT_TOKEN",
        "SCULPTOPS_TOKEN_PEPPER",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SESSION_TOKEN",
    ):
        assert f'"msg": "{name}=0"' in text, text
    assert '"msg": "home=/' in text and "sculptops-run-" in text
    assert "SculptOps: running as " in text
