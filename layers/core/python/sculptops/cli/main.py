"""`sculptops`: serve the local stack, manage personal API tokens."""

from __future__ import annotations

import json
import os
import re
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sculptops import __version__
from sculptops.api_client import ApiClient, ApiError

app = typer.Typer(
    help="SculptOps: run Ansible playbooks for teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tokens_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
console = Console()
# Messages are never cut into lines by rich: an id or a date stays whole, even in a pipe.
err = Console(stderr=True, soft_wrap=True)
USER_AGENT = f"sculptops-cli/{__version__}"

UrlOpt = Annotated[str, typer.Option("--url", envvar="SCULPTOPS_URL", help="API base URL")]
TokenOpt = Annotated[
    str, typer.Option("--token", envvar="SCULPTOPS_TOKEN", help="API token", show_default=False)
]
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant slug, or 'active'")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _client(url: str, token: str) -> ApiClient:
    if not token:
        err.print("No token: set SCULPTOPS_TOKEN or pass --token.")
        raise typer.Exit(2)
    return ApiClient(url, token, user_agent=USER_AGENT)


def _call(client: ApiClient, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return client.json(method, path, **kwargs)
    except ApiError as exc:
        err.print(f"[red]Error {exc.status}[/red]: {exc.message}")
        raise typer.Exit(1) from None


@app.command()
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


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="A name to recognise the token by")],
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
    tenant: TenantOpt = "active",
    days: Annotated[int | None, typer.Option("--days", help="Expires in N days (1-366)")] = None,
    ceiling: Annotated[
        str | None, typer.Option(help="Highest role: viewer, member or admin")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a personal API token; its value is printed once."""
    body: dict[str, Any] = {"name": name}
    if days is not None:
        body["expires_in_days"] = days
    if ceiling:
        body["ceiling"] = ceiling
    client = _client(url, token)
    created = _call(client, "POST", f"/api/v1/{tenant}/tokens/", json=body)
    if as_json:
        console.print_json(json.dumps(created))
        return
    err.print(
        f"Created token {created['id']} ({created['name']}), expires {created['expiry_date']}"
    )
    err.print("Store it now: it is never shown again.")
    print(created["token"])


@tokens_app.command("list")
def tokens_list(
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
    tenant: TenantOpt = "active",
    as_json: JsonOpt = False,
) -> None:
    """List your tokens (never their values)."""
    client = _client(url, token)
    tokens: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = _call(client, "GET", f"/api/v1/{tenant}/tokens/", params=params)
        tokens += page["tokens"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if as_json:
        console.print_json(json.dumps({"tokens": tokens}))
        return
    if not console.is_terminal:
        # For pipes and scripts: one token a line, tab-separated, every value whole.
        print("id\tname\texpires\tcreated\tlast used")
        for t in tokens:
            name = re.sub(r"[\t\r\n]", " ", t["name"])  # a name never breaks the columns
            row = (t["id"], name, t["expiry_date"], t["created_at"], t["last_used_at"] or "")
            print("\t".join(row))
        return
    console.print(token_table(tokens))


def token_table(tokens: list[dict[str, Any]]) -> Table:
    """Tokens for a terminal. An id is there to be copied: never cut; other columns wrap."""
    table = Table("id", "name", "expires", "created", "last used", caption="times in UTC")
    table.columns[0].no_wrap = True
    table.columns[0].min_width = max((len(t["id"]) for t in tokens), default=2)
    for column in table.columns[1:]:
        column.overflow = "fold"
    for t in tokens:
        table.add_row(
            t["id"],
            t["name"],
            _minutes(t["expiry_date"]),
            _minutes(t["created_at"]),
            _minutes(t["last_used_at"]),
        )
    return table


def _minutes(iso: str | None) -> str:
    """`2026-11-24T11:19:28.641753Z` -> `2026-11-24 11:19`: what a table needs."""
    return iso[:16].replace("T", " ") if iso else ""


@tokens_app.command("delete")
def tokens_delete(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_...)")],
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
    tenant: TenantOpt = "active",
) -> None:
    """Delete one token; it is refused from the next request on."""
    _call(_client(url, token), "DELETE", f"/api/v1/{tenant}/tokens/{token_id}")
    err.print(f"Deleted {token_id}.")


@tokens_app.command("revoke-all")
def tokens_revoke_all(
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
    tenant: TenantOpt = "active",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
) -> None:
    """Revoke every one of your tokens, including the one in use."""
    if not yes and not typer.confirm("Revoke ALL your tokens, including this one?"):
        raise typer.Exit(1)
    _call(_client(url, token), "DELETE", f"/api/v1/{tenant}/tokens/")
    err.print("All your tokens are revoked.")


def _resolve(client: ApiClient, tenant: str, kind: str, ref: str) -> str:
    """A playbook or inventory id from an id or a unique name."""
    listing = _call(client, "GET", f"/api/v1/{tenant}/{kind}")
    items = listing[kind]
    by_id = [i for i in items if i["id"] == ref]
    if by_id:
        return str(by_id[0]["id"])
    named = [i for i in items if i["name"] == ref]
    if len(named) == 1:
        return str(named[0]["id"])
    what = kind.rstrip("s").replace("ie", "y")
    if not named:
        err.print(f"No {what} named or with id {ref!r} in {tenant}.")
    else:
        err.print(f"Several {kind} are named {ref!r}; give the id.")
    raise typer.Exit(2)


def _parse_extra(values: list[str]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            err.print(f"--extra-var takes key=value, got {item!r}")
            raise typer.Exit(2)
        try:
            extra[key] = json.loads(value)
        except ValueError:
            extra[key] = value
    return extra


@app.command()
def run(
    playbook: Annotated[str, typer.Argument(help="Playbook name or id")],
    inventory: Annotated[str, typer.Option("--inventory", "-i", help="Inventory name or id")],
    extra_var: Annotated[
        list[str] | None, typer.Option("--extra-var", "-e", help="key=value (JSON values too)")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Only tasks with tag")
    ] = None,
    limit: Annotated[str | None, typer.Option("--limit", "-l", help="Host pattern")] = None,
    follow_run: Annotated[bool, typer.Option("--follow", "-f", help="Print the log live")] = False,
    cancel_on_interrupt: Annotated[
        bool, typer.Option("--cancel-on-interrupt", help="Ctrl-C also cancels the run")
    ] = False,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Make a retried trigger safe")
    ] = None,
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
    tenant: TenantOpt = "active",
) -> None:
    """Trigger a playbook run; with --follow, print it live and exit with its exit code."""
    from sculptops.cli.follow import exit_code_of, follow

    client = _client(url, token)
    body: dict[str, Any] = {
        "playbook_id": _resolve(client, tenant, "playbooks", playbook),
        "inventory_id": _resolve(client, tenant, "inventories", inventory),
        "extra_vars": _parse_extra(extra_var or []),
        "tags": tag or [],
    }
    if limit:
        body["limit"] = limit
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    execution = _call(client, "POST", f"/api/v1/{tenant}/executions", json=body, headers=headers)
    err.print(f"Execution {execution['id']} {execution['status']}.")
    if not follow_run:
        print(execution["id"])
        return
    try:
        done = follow(client, tenant, execution["id"], console, err)
    except KeyboardInterrupt:
        if cancel_on_interrupt:
            _call(client, "POST", f"/api/v1/{tenant}/executions/{execution['id']}/cancel")
            err.print(f"Cancel requested for {execution['id']}.")
        else:
            err.print(f"Stopped following; {execution['id']} goes on.")
        raise typer.Exit(130) from None
    except ApiError as exc:
        err.print(f"[red]Error {exc.status}[/red]: {exc.message}")
        raise typer.Exit(1) from None
    err.print(f"Execution {done['id']} {done['status']} (exit code {done['exit_code']}).")
    raise typer.Exit(exit_code_of(done))


@app.command()
def logs(
    execution_id: Annotated[str, typer.Argument(help="The execution id (exe_...)")],
    follow_run: Annotated[bool, typer.Option("--follow", "-f", help="Until the run ends")] = False,
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = "",
    tenant: TenantOpt = "active",
) -> None:
    """Print a run's log; with --follow, until it ends, then exit with its exit code."""
    from sculptops.cli.follow import exit_code_of, follow, print_line

    client = _client(url, token)
    base = f"/api/v1/{tenant}/executions/{execution_id}"
    if follow_run:
        try:
            done = follow(client, tenant, execution_id, console, err)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except ApiError as exc:
            err.print(f"[red]Error {exc.status}[/red]: {exc.message}")
            raise typer.Exit(1) from None
        raise typer.Exit(exit_code_of(done))
    after = 0
    while True:
        batch = _call(client, "GET", f"{base}/logs", params={"after": after, "limit": 1000})
        for line in batch["lines"]:
            print_line(console, line)
        after = batch["next"]
        if not batch["lines"] or batch["complete"]:
            break


@app.command()
def agent(
    url: UrlOpt = "http://127.0.0.1:8000",
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


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
