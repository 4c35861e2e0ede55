"""`sculptops tokens ...`: personal API tokens."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer
from rich.table import Table

from sculptops.cli.options import Api, Json, api_command, console, err
from sculptops.cli.tables import print_rows

app = typer.Typer(name="tokens", help="Personal API tokens.", no_args_is_help=True)


@app.command("create")
@api_command
def tokens_create(
    name: Annotated[str, typer.Argument(help="A name to recognise the token by")],
    api: Api,
    days: Annotated[int | None, typer.Option("--days", help="Expires in N days (1-366)")] = None,
    ceiling: Annotated[
        str | None, typer.Option(help="Highest role: viewer, member or admin")
    ] = None,
    as_json: Json = False,
) -> None:
    """Create a personal API token; its value is printed once."""
    body: dict[str, Any] = {"name": name}
    if days is not None:
        body["expires_in_days"] = days
    if ceiling:
        body["ceiling"] = ceiling
    created = api.call("POST", "/tokens/", json=body)
    if as_json:
        console.print_json(json.dumps(created))
        return
    err.print(
        f"Created token {created['id']} ({created['name']}), expires {created['expiry_date']}"
    )
    err.print("Store it now: it is never shown again.")
    print(created["token"])


@app.command("list")
@api_command
def tokens_list(api: Api, as_json: Json = False) -> None:
    """List your tokens (never their values)."""
    tokens: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", "/tokens/", params=params)
        tokens += page["tokens"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if as_json:
        console.print_json(json.dumps({"tokens": tokens}))
        return
    if not console.is_terminal:
        # For pipes and scripts: one token a line, tab-separated, every value whole.
        print_rows(
            ["id", "name", "expires", "created", "last used"],
            [
                [t["id"], t["name"], t["expiry_date"], t["created_at"], t["last_used_at"]]
                for t in tokens
            ],
        )
    else:
        console.print(token_table(tokens))
    _pending_notices(api)


def _pending_notices(api: Api) -> None:
    """The notices of the last 7 days, after the list, on stderr (stdout stays the list)."""
    from sculptops.api_client import ApiError
    from sculptops.cli.notifications import NOTIFICATIONS, lines, recent

    try:
        page = api.client.json("GET", NOTIFICATIONS, params={"limit": 20})
    except ApiError:
        return  # notices are a courtesy here: `sculptops notifications` says what failed
    pending = recent(list(page.get("notifications") or []))
    if pending:
        err.print(f"Notices of the last 7 days ({len(pending)}; `sculptops notifications`):")
        for line in lines(pending):
            err.print(f"  {line}", markup=False, highlight=False)


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


@app.command("delete")
@api_command
def tokens_delete(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_...)")], api: Api
) -> None:
    """Delete one token; it is refused from the next request on."""
    api.call("DELETE", f"/tokens/{token_id}")
    err.print(f"Deleted {token_id}.")


@app.command("revoke-all")
@api_command
def tokens_revoke_all(
    api: Api, yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False
) -> None:
    """Revoke every one of your tokens, including the one in use."""
    if not yes and not typer.confirm("Revoke ALL your tokens, including this one?"):
        raise typer.Exit(1)
    api.call("DELETE", "/tokens/")
    err.print("All your tokens are revoked.")


def _seconds(text: str) -> int:
    """`90`, `90s`, `10m` or `1h` as seconds; BadParameter for anything else."""
    m = re.fullmatch(r"\s*(\d{1,5})\s*([smh]?)\s*", text)
    if not m:
        raise typer.BadParameter("a duration such as 30s, 10m or 1h")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


@app.command("rotate")
@api_command
def tokens_rotate(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_...)")],
    api: Api,
    overlap: Annotated[
        str,
        typer.Option(
            "--overlap", help="How long the old value keeps working: 0 (default) up to 1h"
        ),
    ] = "0",
    days: Annotated[int | None, typer.Option("--days", help="Expires in N days")] = None,
    as_json: Json = False,
) -> None:
    """Rotate a token: a new value (printed once), the old one fails after the overlap."""
    body: dict[str, Any] = {"overlap_seconds": _seconds(overlap)}
    if days is not None:
        body["expires_in_days"] = days
    rotated = api.call("POST", f"/tokens/{token_id}/rotate", json=body)
    if as_json:
        console.print_json(json.dumps(rotated))
        return
    err.print(
        f"Rotated {rotated['rotated_from']} into {rotated['id']} ({rotated['name']}), "
        f"expires {rotated['expiry_date']}; the old value works until "
        f"{rotated['old_valid_until']}, and presented after that it revokes both.",
        markup=False,
        highlight=False,
    )
    err.print("Store it now: it is never shown again.")
    print(rotated["token"])


@app.command("self")
@api_command
def tokens_self(api: Api, as_json: Json = False) -> None:
    """The token you are using: id, name, ceiling, expiry, last use and its last IPs."""
    token = api.call("GET", "/tokens/self")
    if as_json:
        console.print_json(json.dumps(token))
        return
    for key in ("id", "name", "ceiling", "expiry_date", "created_at", "last_used_at"):
        print(f"{key}\t{token.get(key) or ''}")
    print(f"last_used_ips\t{' '.join(token.get('last_used_ips') or [])}")
