"""`sculptops`: serve the local stack, manage personal API tokens."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sculptops.cli.client import ApiClient, ApiError

app = typer.Typer(
    help="SculptOps: run Ansible playbooks for teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tokens_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
console = Console()
err = Console(stderr=True)

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
    return ApiClient(url, token)


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
) -> None:
    """Run the local stack: embedded DynamoDB, seed data, the local gateway."""
    from sculptops.local.server import serve as run

    if dynamodb not in ("moto", "local"):
        err.print("--dynamodb must be moto or local")
        raise typer.Exit(2)
    run(host=host, port=port, dynamodb=dynamodb, allow_remote=allow_remote)


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
    table = Table("id", "name", "expires", "created", "last used")
    for t in tokens:
        table.add_row(
            t["id"], t["name"], t["expiry_date"], t["created_at"], t["last_used_at"] or ""
        )
    console.print(table)


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


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
