"""`sculptops serve` and `sculptops agent`: the long-running processes."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from sculptops.cli.options import DEFAULT_URL, Url, err


def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8000,
    host: Annotated[str, typer.Option(help="Bind address (loopback unless --allow-remote)")] = (
        "127.0.0.1"
    ),
    dynamodb: Annotated[
        str, typer.Option(help="Embedded DynamoDB: moto (default) or local (DynamoDB Local)")
    ] = "moto",
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback bind address")
    ] = False,
    agents: Annotated[
        bool, typer.Option("--agents/--no-agents", help="Run an embedded agent per tenant")
    ] = True,
) -> None:
    """Run the local stack: embedded DynamoDB, seed data, the local gateway, agents."""
    from sculptops.local.server import serve as run_stack

    if dynamodb not in ("moto", "local"):
        err.print("--dynamodb must be moto or local")
        raise typer.Exit(2)
    run_stack(host=host, port=port, dynamodb=dynamodb, allow_remote=allow_remote, agents=agents)


def agent(
    url: Url = DEFAULT_URL,
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="SCULPTOPS_AGENT_TOKEN",
            help="The agent's token (prefer --token-stdin or --token-file: the environment and "
            "the command line of a process can be read by its user's other processes)",
            show_default=False,
        ),
    ] = "",
    token_stdin: Annotated[
        bool,
        typer.Option("--token-stdin", help="Read the agent's token from the first line of stdin"),
    ] = False,
    token_file: Annotated[
        str | None,
        typer.Option(
            "--token-file",
            help="Read the agent's token from this file (not readable by group or others)",
        ),
    ] = None,
    max_runs: Annotated[int | None, typer.Option(help="Stop after N runs")] = None,
    max_idle: Annotated[
        float | None, typer.Option(help="Stop after N seconds without work")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", hidden=True, help="No start line (embedded agents)")
    ] = False,
    run_as: Annotated[
        str | None,
        typer.Option(
            "--run-as",
            envvar="SCULPTOPS_AGENT_RUN_AS",
            help="When the agent runs as root: run playbooks as this unprivileged user",
        ),
    ] = None,
) -> None:
    """Run playbooks for the API: claim queued runs, run ansible-playbook, stream the log."""
    import logging
    import signal
    import threading

    from sculptops.agent.runner import Agent, AgentConfig

    # Out of this process's environment at once: nothing it starts inherits the token. (The
    # kernel still shows a process's initial environment in /proc/PID/environ, so the local
    # stack's agents get their token on stdin instead.)
    os.environ.pop("SCULPTOPS_AGENT_TOKEN", None)
    if token_stdin or token_file:
        token = _read_agent_token(token_file)
    if not token:
        err.print(
            "No agent token: pass --token-stdin or --token-file PATH, or set SCULPTOPS_AGENT_TOKEN."
        )
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    # httpx logs every request at INFO: an idle agent's claim polls would flood the terminal.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stop = threading.Event()

    def stopping(signum: int, frame: object) -> None:
        """SIGTERM or Ctrl-C: stop the current run, report it, clean up, exit. A second
        Ctrl-C interrupts at once (the run's workspace is still removed)."""
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    try:
        worker = Agent(
            AgentConfig(
                url=url,
                token=token,
                max_runs=max_runs,
                max_idle_seconds=max_idle,
                run_as=run_as or None,
            ),
            stop,
        )
    except ValueError as exc:  # an unknown --run-as user, or one a non-root agent cannot be
        err.print(str(exc))
        raise typer.Exit(2) from None
    if not quiet:
        err.print(f"Agent polling {url} for work (Ctrl-C stops it).")
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        stop.set()


def _read_agent_token(path: str | None) -> str:
    """The token from the first line of `path`, which no one else may read, or of stdin."""
    import stat
    import sys

    if path is None:
        return sys.stdin.readline().strip()
    try:
        with open(path, encoding="utf-8") as f:
            mode = os.fstat(f.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                err.print(f"--token-file {path}: readable by others; chmod 600 it.")
                raise typer.Exit(2)
            return f.readline().strip()
    except OSError as exc:
        err.print(f"--token-file {path}: {exc.strerror}")
        raise typer.Exit(2) from None
