"""A run's parameters are data: reserved names, `--limit=`/`--tags=`, unsafe vars, the agent host.

No sockets: the agent talks to a fake API; ansible-core is used as the oracle for what it would
template, and one test runs the real ansible-playbook on localhost (local connection).
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sculptops.agent import runner
from sculptops.agent.runner import Agent, AgentConfig, resolve_run_user
from sculptops.agent.workspace import extra_vars_document, prepare
from sculptops.domain.errors import InvalidInput
from sculptops.domain.executions import validate_limit, validate_tags
from sculptops.domain.run_parameters import (
    ANSIBLE_RESERVED_NAMES,
    MAGIC_VARIABLES,
    RESERVED_NAMES,
    is_reserved,
    validate_extra_vars,
    validate_run_parameters,
)

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


# ---- reserved names ----


def test_the_keyword_list_is_ansible_cores_own() -> None:
    from ansible.vars.reserved import get_reserved_names

    assert frozenset(get_reserved_names()) == ANSIBLE_RESERVED_NAMES


def test_every_magic_variable_ansible_sets_is_reserved(tmp_path: Path) -> None:
    # Given the variables ansible-core itself computes for a host in a play
    from ansible import context
    from ansible.inventory.manager import InventoryManager
    from ansible.module_utils.common.collections import ImmutableDict
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play import Play
    from ansible.vars.manager import VariableManager

    context.CLIARGS = ImmutableDict({})
    (tmp_path / "inv.yml").write_text("all:\n  hosts:\n    web1.example.com: {}\n")
    loader = DataLoader()
    inventory = InventoryManager(loader, sources=[str(tmp_path / "inv.yml")])
    manager = VariableManager(loader=loader, inventory=inventory)
    play = Play.load(
        {"hosts": "all", "gather_facts": False, "tasks": [{"debug": {"msg": "x"}}]},
        variable_manager=manager,
        loader=loader,
    )
    host = inventory.get_host("web1.example.com")
    names = set(manager.get_vars(play=play, host=host, task=play.get_tasks()[0][0]))
    # Then every one of them is refused as an extra var
    assert names and all(is_reserved(n) for n in names), sorted(
        n for n in names if not is_reserved(n)
    )
    assert {"hostvars", "inventory_hostname", "playbook_dir", "omit"} <= MAGIC_VARIABLES


@pytest.mark.parametrize(
    "key",
    [
        "ansible_shell_executable",
        "ansible_become",
        "ANSIBLE_become",
        "Ansible_Become_Pass",
        "ansible_python_interpreter",
        "ansible_connection",
        "_ansible_no_log",
        "hostvars",
        "inventory_hostname",
        "playbook_dir",
        "omit",
        "environment",
        "vars",
        "lookup",
        "delegate_to",
    ],
)
def test_reserved_names_are_refused_naming_the_key(key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_extra_vars({"ok": 1, key: "x"})
    assert exc.value.field == f"extra_vars.{key}"


@pytest.mark.parametrize("key", ["who", "ansible", "my_ansible_host", "Hostvars", "answer_42"])
def test_ordinary_names_pass(key: str) -> None:
    assert validate_extra_vars({key: 1}) == {key: 1}
    assert key not in RESERVED_NAMES


@pytest.mark.parametrize("key", ["bad key", "1x", "who\n", "a-b", ""])
def test_names_that_are_not_identifiers_are_refused(key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_extra_vars({key: 1})
    assert exc.value.field == "extra_vars"


# ---- limit and tags ----


@pytest.mark.parametrize(
    "limit",
    [
        "@extra_vars.json",
        "web,@hosts.txt",
        "web:@hosts.txt",
        "-e x",
        "--help",
        "-x",
        "web,-x",
        "web,!-x",
        "~web.*",
        "web;rm -rf",
        "web\n",
        "web x",
        "",
    ],
)
def test_limits_that_could_be_a_file_an_option_or_a_regex_are_refused(limit: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_limit(limit)
    assert exc.value.field == "limit"


@pytest.mark.parametrize(
    "limit",
    ["web", "web*.example.com", "web:&prod", "web,!db1", "webservers[0:2]", "10.0.0.1", "::1"],
)
def test_host_patterns_pass(limit: str) -> None:
    assert validate_limit(limit) == limit


@pytest.mark.parametrize("tag", ["-t", "--help", "@x", "~x", "a b", "x\n", ".x", "", "a,b"])
def test_tags_that_could_be_an_option_or_a_file_are_refused(tag: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_tags(["ok", tag])
    assert exc.value.field == "tags.1"


def test_ordinary_tags_pass() -> None:
    assert validate_tags(["deploy", "web-1", "v1.2", "_x"]) == ["deploy", "web-1", "v1.2", "_x"]


def test_stored_parameters_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_run_parameters({}, "deploy", None)
    assert exc.value.field == "tags"
    with pytest.raises(InvalidInput) as exc:
        validate_run_parameters({}, [], ["web"])
    assert exc.value.field == "limit"
    assert validate_run_parameters(None, None, None) == ({}, [], None)


# ---- the vars file: unsafe text at every depth ----

NESTED: dict[str, Any] = {
    "v": "{{ 6*7 }}",
    "block": "{% if true %}yes{% endif %}",
    "comment": "{# hidden #}",
    "nested": {
        "a": ["{{ lookup('pipe', 'id') }}", {"deeper": ["{{ x }}", {"k": "{% raw %}"}]}],
        "{{ key }}": "{{ value }}",
    },
    "looks_int": "123",
    "looks_bool": "true",
    "looks_null": "null",
    "tilde": "~",
    "empty": "",
    "date": "2001-01-01",
    "multi": "line 1\nline 2: {{ x }}",
    "unicode": "héllo ✓",
    "spaces": "  lead and trail  " + "word " * 40 + " ",
    "controls": "tab\tbell\x07 nel\x85 ls\u2028",
    "n": 7,
    "f": 1.5,
    "yes": True,
    "none": None,
    "list": [1, "two", [3, "{{ four }}"]],
}


def _strings(value: Any) -> list[Any]:
    """Every string in a loaded value, keys included, at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _ansible_load(text: str, tmp_path: Path) -> Any:
    """Load a vars file as `ansible-playbook -e @file` does (trusted as template)."""
    from ansible.parsing.dataloader import DataLoader

    path = tmp_path / "vars.yml"
    path.write_text(text, encoding="utf-8")
    return DataLoader().load_from_file(str(path), cache="none", trusted_as_template=True)


def test_every_string_at_any_depth_keys_included_is_unsafe_for_ansible(tmp_path: Path) -> None:
    from ansible._internal._datatag._tags import TrustedAsTemplate

    # Given the vars file the agent writes, loaded by ansible-core as `-e @file` loads it
    loaded = _ansible_load(extra_vars_document(NESTED), tmp_path)
    strings = _strings(loaded)
    # Then no string, value or key, at any depth, may be templated
    assert len(strings) > 20
    assert [s for s in strings if TrustedAsTemplate.is_tagged_on(s)] == []
    # (the oracle works: the same data written as plain YAML would be templated)
    (tmp_path / "plain").mkdir()
    plain = _ansible_load(yaml.safe_dump(NESTED), tmp_path / "plain")
    assert TrustedAsTemplate.is_tagged_on(plain["v"])
    assert TrustedAsTemplate.is_tagged_on(next(iter(plain["nested"])))


def test_values_and_their_types_are_kept(tmp_path: Path) -> None:
    loaded = _ansible_load(extra_vars_document(NESTED), tmp_path)
    assert loaded == NESTED
    keys = ("looks_int", "looks_bool", "looks_null", "empty", "date")
    assert all(isinstance(loaded[k], str) for k in keys)
    assert isinstance(loaded["n"], int) and not isinstance(loaded["n"], bool)
    assert isinstance(loaded["f"], float)
    assert loaded["yes"] is True and loaded["none"] is None


def test_every_mapping_and_list_is_tagged_unsafe() -> None:
    node = yaml.compose(extra_vars_document(NESTED))
    containers: list[yaml.Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            containers.append(n)
            stack += [x for pair in n.value for x in pair]
        elif isinstance(n, yaml.SequenceNode):
            containers.append(n)
            stack += n.value
    assert len(containers) > 5 and {c.tag for c in containers} == {"!unsafe"}


# ---- the agent host ----


class FakeApi:
    """The API as the agent sees it: records what it was sent, answers 200."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self.sent.append((method, path, kwargs.get("json")))
        return httpx.Response(200, json={"cancel_requested": False})

    def log_lines(self) -> list[str]:
        return [
            line["line"]
            for _, path, body in self.sent
            if path.endswith("/logs")
            for line in body["lines"]
        ]

    def exit_code(self) -> int:
        finishes = [body for _, path, body in self.sent if path.endswith("/finish")]
        assert len(finishes) == 1
        return int(finishes[0]["exit_code"])


def _agent(ansible: str = ANSIBLE_PLAYBOOK, run_as: str | None = None) -> tuple[Agent, FakeApi]:
    agent = Agent(
        AgentConfig(url="http://127.0.0.1:9", token="x", ansible_playbook=ansible, run_as=run_as)
    )
    api = FakeApi()
    agent.protocol.client = api
    return agent, api


def _claimed(content: str, **execution: Any) -> dict[str, Any]:
    return {
        "execution": {"id": "exe_000000000000000000000001", **execution},
        "playbook": {"name": "t", "content": content},
        "inventory": {
            "name": "local",
            "hosts": [{"name": "localhost", "vars": {}}],
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        },
    }


def test_limit_and_tags_are_one_argv_element_each() -> None:
    agent, _ = _agent()
    ws = prepare({"content": "- hosts: all\n"}, {"hosts": [], "vars": {}}, {})
    try:
        cmd = agent.command(ws, ["a", "b"], "web,!db")
    finally:
        ws.cleanup()
    assert cmd[-2:] == ["--tags=a,b", "--limit=web,!db"]
    assert "--limit" not in cmd and "--tags" not in cmd


def test_the_workspace_is_private_and_removed(tmp_path: Path) -> None:
    ws = prepare({"content": "- hosts: all\n"}, {"hosts": [], "vars": {}}, {"a": "b"})
    assert stat.S_IMODE(ws.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(ws.tmp.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in (ws.playbook, ws.extra_vars)} == {0o600}
    ws.cleanup()
    assert not ws.root.exists()


def test_a_stored_run_that_breaks_the_rules_is_failed_without_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a stored run whose parameters never passed the trigger's checks
    agent, api = _agent()

    def no_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("ansible-playbook must not start")

    monkeypatch.setattr(subprocess, "Popen", no_run)
    monkeypatch.setattr(runner, "prepare", no_run)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"extra_vars": {"ansible_shell_executable": "echo $(id) #"}}, "extra_vars.ansible_"),
        ({"limit": "@extra_vars.json"}, "limit"),
        ({"tags": ["-t"]}, "tags.0"),
    ]
    for execution, field in cases:
        api.sent.clear()
        # When the agent claims it
        agent.execute(_claimed("- hosts: all\n", **execution))
        # Then it finishes it as failed, saying why, and runs nothing
        assert api.exit_code() == runner.REFUSED_EXIT_CODE
        (line,) = api.log_lines()
        assert line.startswith(f"SculptOps: refusing to run: {field}")


PRINTS = """
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg="v={{ v }}"
    - debug: msg="n={{ n.a[0] }}"
    - debug: msg="token={{ lookup('env', 'SCULPTOPS_AGENT_TOKEN') | length }}"
    - debug: msg="aws={{ lookup('env', 'AWS_SECRET_ACCESS_KEY') | length }}"
    - debug: msg="pepper={{ lookup('env', 'SCULPTOPS_TOKEN_PEPPER') | length }}"
    - debug: msg="home={{ lookup('env', 'HOME') }}"
"""


def test_a_real_run_keeps_values_literal_and_sees_no_agent_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an agent whose own environment holds secrets
    monkeypatch.setenv("SCULPTOPS_AGENT_TOKEN", "ag_agent_secretsecretsecret")
    monkeypatch.setenv("SCULPTOPS_TOKEN_PEPPER", "pepper-pepper-pepper")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    agent, api = _agent()
    # When it runs a playbook with template-looking variables
    extra = {"v": "{{ 6*7 }}", "n": {"a": ["{{ lookup('pipe','id') }}"]}}
    agent.execute(_claimed(PRINTS, extra_vars=extra, tags=["all"], limit="localhost"))
    text = "\n".join(api.log_lines())
    # Then the values stay text and the playbook's environment holds none of the secrets
    assert api.exit_code() == 0, text
    assert '"msg": "v={{ 6*7 }}"' in text and "v=42" not in text
    assert "\"msg\": \"n={{ lookup('pipe','id') }}\"" in text and "uid=" not in text
    assert '"msg": "token=0"' in text and '"msg": "aws=0"' in text and '"msg": "pepper=0"' in text
    assert '"msg": "home=/' in text and "sculptops-run-" in text
    assert "--tags=all --limit=localhost" in text


STUB = """#!/bin/sh
echo "uid=$(id -u) user=$(id -un) groups=$(id -G)"
echo "home=$HOME tmpdir=$TMPDIR"
env | sort | sed 's/^/env /'
ls -ld "$HOME" | awk '{print "owner=" $3}'
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="switching user needs root")
def test_as_root_with_run_as_the_playbook_runs_as_that_user() -> None:
    # Given a stand-in ansible-playbook that reports who runs it (where that user can run it)
    nobody = pwd.getpwnam("nobody")
    where = Path(tempfile.mkdtemp(prefix="sculptops-stub-"))
    try:
        where.chmod(0o755)
        stub = where / "ansible-playbook"
        stub.write_text(STUB)
        stub.chmod(0o755)
        agent, api = _agent(ansible=str(stub), run_as="nobody")
        # When a run goes through the agent
        agent.execute(_claimed("- hosts: all\n"))
    finally:
        shutil.rmtree(where)
    lines = api.log_lines()
    # Then the log says so, the process and the workspace are that user's, without root's groups
    assert "SculptOps: running as nobody" in lines
    assert f"uid={nobody.pw_uid} user=nobody groups={nobody.pw_gid}" in lines
    assert "owner=nobody" in lines
    env = sorted(line[4:].split("=", 1)[0] for line in lines if line.startswith("env "))
    assert set(env) <= {
        "PATH",
        "HOME",
        "TMPDIR",
        "USER",
        "LOGNAME",
        "LANG",
        "LC_ALL",
        "PWD",
        "PYTHONUNBUFFERED",
    } | {n for n in env if n.startswith("ANSIBLE_")}
    assert api.exit_code() == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="the agent runs as root here")
def test_as_root_without_run_as_the_log_says_root() -> None:
    agent, api = _agent(ansible="/bin/true")
    agent.execute(_claimed("- hosts: all\n"))
    assert any(line.startswith("SculptOps: running as root (") for line in api.log_lines())


def test_run_as_an_unknown_user_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="no user"):
        resolve_run_user("no-such-user-sculptops")


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"tags": ["web", "{T}"]}, "tags.1"),
        ({"limit": "{T}"}, "limit"),
        ({"limit": "web,{T}"}, "limit"),
        ({"tags": ["{A}"]}, "tags.0"),
        ({"extra_vars": {"x": "{T}Z"}}, "extra_vars.x"),
        ({"extra_vars": {"x": "{T}0"}}, "extra_vars.x"),
        ({"extra_vars": {"x": "{B}"}}, "extra_vars.x"),  # the body alone
        ({"extra_vars": {"x": "{S}"}}, "extra_vars.x"),  # a soft hyphen inside
    ],
)
def test_a_token_in_any_run_parameter_is_refused(params: dict, where: str) -> None:
    """Viewers read a run's parameters back: a member must not leave a token there."""
    from sculptops.domain import token_format as tf
    from sculptops.domain.run_parameters import validate_run_parameters

    token = tf.generate("ag_live_", tf.TokenHasher(None).owner_key("member@demo"))
    fill = {
        "{T}": token,
        "{A}": tf.generate("ag_agent_"),
        "{B}": token[len("ag_live_") :],
        "{S}": token[:20] + "\u00ad" + token[20:],
    }

    def filled(value: object) -> object:
        if isinstance(value, str):
            for k, v in fill.items():
                value = value.replace(k, v)
            return value
        if isinstance(value, list):
            return [filled(v) for v in value]
        if isinstance(value, dict):
            return {k: filled(v) for k, v in value.items()}
        return value

    args = {"extra_vars": None, "tags": None, "limit": None}
    args.update({k: filled(v) for k, v in params.items()})
    with pytest.raises(InvalidInput) as exc:
        validate_run_parameters(**args)
    assert exc.value.field == where and "credential" in exc.value.detail


def test_a_jwt_or_stream_ticket_in_a_run_parameter_is_refused_and_ordinary_text_is_not() -> None:
    """A member's session JWT in `limit` let a viewer read it back and mint a token with it."""
    from sculptops.domain.run_parameters import validate_run_parameters

    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZW1iZXJAZGVtbyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    ticket = "st_WyJ" + "A" * 60 + "." + "B" * 43
    header, payload, _ = jwt.split(".")
    for args, where in [
        ({"limit": jwt}, "limit"),
        ({"extra_vars": {"h": f"Authorization: Bearer {jwt}"}}, "extra_vars.h"),
        ({"extra_vars": {"t": ticket}}, "extra_vars.t"),
        ({"tags": [header, payload]}, "tags"),
    ]:
        full = {"extra_vars": None, "tags": None, "limit": None, **args}
        with pytest.raises(InvalidInput) as exc:
            validate_run_parameters(**full)
        assert exc.value.field == where, args
    ordinary = {
        "sha": "0" * 40,
        "digest": "a3f5" * 16,
        "note": "bearer of bad news",
        "city": "st_louis-datacenter-backup",
        "who": "eyJohnDoeWorkstation",
        "long": "first_pipelineForProductionDeployments",
    }
    validate_run_parameters(ordinary, ["i18n_docs_internationalization"], "web")
