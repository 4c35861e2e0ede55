"""The CLI's command line: the shared API options on every API command, the entry points."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import typer
from typer.testing import CliRunner

from sculptops.cli.main import app

API_COMMANDS = [
    ["tokens", "create"],
    ["tokens", "list"],
    ["tokens", "delete"],
    ["tokens", "revoke-all"],
    ["run"],
    ["logs"],
]


def _command(path: list[str]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def test_every_api_command_takes_the_shared_options() -> None:
    for path in API_COMMANDS:
        options = {p.name: p for p in _command(path).params}
        url, token, tenant = options["url"], options["token"], options["tenant"]
        assert url.opts == ["--url"] and url.envvar == "SCULPTOPS_URL", path
        assert url.default == "http://127.0.0.1:8000", path
        assert token.opts == ["--token"] and token.envvar == "SCULPTOPS_TOKEN", path
        assert tenant.opts == ["--tenant"] and tenant.default == "active", path


def test_a_command_without_a_token_says_so_and_exits_2() -> None:
    result = CliRunner().invoke(app, ["tokens", "list"], env={"SCULPTOPS_TOKEN": ""})
    assert result.exit_code == 2
    assert "No token: set SCULPTOPS_TOKEN or pass --token." in result.output


def test_revoke_all_asks_before_it_needs_a_token() -> None:
    # Given no token, When revoke-all is declined at its question
    result = CliRunner().invoke(
        app, ["tokens", "revoke-all"], input="n\n", env={"SCULPTOPS_TOKEN": ""}
    )
    # Then it ends there (exit 1), without a word about the missing token
    assert result.exit_code == 1
    assert "Revoke ALL your tokens" in result.output
    assert "No token" not in result.output


def test_python_m_sculptops_agent_is_the_agent_command() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "sculptops.agent", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "--token-stdin" in shown.stdout and "--run-as" in shown.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "sculptops.agent", "--url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert refused.returncode == 2
    assert "No agent token" in refused.stderr
