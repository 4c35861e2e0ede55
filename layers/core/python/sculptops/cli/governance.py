"""`sculptops members|policy|admin|audit`: a tenant's token governance (admins; members list)."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from sculptops.cli.options import Api, Json, api_command, console, err
from sculptops.cli.tables import clean, print_rows

members_app = typer.Typer(name="members", help="Members of a tenant and their roles.")
policy_app = typer.Typer(name="policy", help="The tenant's token policy.")
admin_app = typer.Typer(name="admin", help="Admin views of the tenant.")
admin_tokens_app = typer.Typer(name="tokens", help="Every token that can act in the tenant.")
admin_app.add_typer(admin_tokens_app)
for _group in (members_app, policy_app, admin_app, admin_tokens_app):
    _group.info.no_args_is_help = True

Role = Annotated[str, typer.Argument(help="viewer, member or admin")]


@members_app.command("list")
@api_command
def members_list(api: Api, as_json: Json = False) -> None:
    """Who is in the tenant, with which role."""
    found = api.call("GET", "/members")
    if as_json:
        console.print_json(json.dumps(found))
        return
    print_rows(
        ["user id", "email", "name", "role", "joined"],
        [[m["user_id"], m["email"], m["name"], m["role"], m["joined"]] for m in found["members"]],
    )


@members_app.command("add")
@api_command
def members_add(
    email: Annotated[str, typer.Argument(help="The person's email")], role: Role, api: Api
) -> None:
    """Add a person by email (admin)."""
    added = api.call("POST", "/members", json={"email": email, "role": role})
    err.print(f"Added {added['user_id']} as {added['role']}")


@members_app.command("set-role")
@api_command
def members_set_role(
    user_id: Annotated[str, typer.Argument(help="The member's user id")], role: Role, api: Api
) -> None:
    """Change a member's role (admin): in force on their next request."""
    changed = api.call("PATCH", f"/members/{user_id}", json={"role": role})
    err.print(f"{changed['user_id']} is now {changed['role']}")


@members_app.command("remove")
@api_command
def members_remove(
    user_id: Annotated[str, typer.Argument(help="The member's user id")], api: Api
) -> None:
    """Remove a member (admin): their credentials are refused here from their next request."""
    api.call("DELETE", f"/members/{user_id}")
    err.print(f"Removed {user_id}")


@policy_app.command("show")
@api_command
def policy_show(api: Api) -> None:
    """The tenant's token policy (admin)."""
    console.print_json(json.dumps(api.call("GET", "/settings/token-policy")))


@policy_app.command("set")
@api_command
def policy_set(
    api: Api,
    max_days: Annotated[int, typer.Option("--max-days", help="Maximum lifetime, 1-366")],
    default_days: Annotated[
        int | None, typer.Option("--default-days", help="Lifetime when none is asked")
    ] = None,
    admins_only: Annotated[
        bool, typer.Option("--admins-only/--anyone", help="Who may create tokens")
    ] = False,
) -> None:
    """Replace the token policy (admin). Tokens whose lifetime exceeds the new maximum are
    refused (401) in this tenant from their next request on."""
    body = {
        "admins_only": admins_only,
        "max_lifetime_days": max_days,
        "default_lifetime_days": default_days,
    }
    changed = api.call("PUT", "/settings/token-policy", json=body)
    console.print_json(json.dumps(changed))
    err.print(f"{changed['tokens_stopped']} token(s) stopped by the new maximum")


@admin_tokens_app.command("list")
@api_command
def admin_tokens_list(
    api: Api,
    user_id: Annotated[str | None, typer.Option("--user", help="Only this member's")] = None,
    state: Annotated[str | None, typer.Option(help="active, expired or refused_by_policy")] = None,
    as_json: Json = False,
) -> None:
    """Every token that can act in the tenant (admin); never a value."""
    tokens: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):  # bounded: each page moves the cursor on
        params: dict[str, Any] = {"limit": 100}
        if user_id:
            params["user_id"] = user_id
        if state:
            params["state"] = state
        if cursor:
            params["cursor"] = cursor
        page = api.call("GET", "/admin/tokens", params=params)
        tokens += page["tokens"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if as_json:
        console.print_json(json.dumps({"tokens": tokens}))
        return
    print_rows(
        ["id", "owner", "name", "state", "ceiling", "created", "last used", "expires"],
        [
            [
                t["id"],
                t["owner"],
                t["name"],
                t["state"],
                t["ceiling"],
                t["created_at"],
                t["last_used_at"],
                t["expiry_date"],
            ]
            for t in tokens
        ],
    )


@admin_tokens_app.command("revoke")
@api_command
def admin_tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id")],
    api: Api,
    reason: Annotated[str | None, typer.Option(help="Told to the owner and the log")] = None,
) -> None:
    """Revoke a member's token (admin); the owner is notified."""
    api.call("DELETE", f"/admin/tokens/{token_id}", params={"reason": reason} if reason else {})
    err.print(f"Revoked {token_id}")


def _event_row(e: dict[str, Any]) -> list[Any]:
    actor = e["actor"]
    target = e["target"]
    return [
        e["time"],
        e["type"],
        actor["user_id"],
        f"{actor['credential_kind'] or ''}:{actor['credential_id'] or ''}",
        f"{target['type']}:{target['id'] or target['user_id'] or ''}",
        e["source_ip"],
        json.dumps(e["details"], sort_keys=True),
    ]


@api_command
def audit(
    api: Api,
    type_: Annotated[str | None, typer.Option("--type", help="e.g. token.revoked_by_admin")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this user's actions")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first (1-100)")] = 20,
    follow: Annotated[bool, typer.Option("--follow", help="Then print new events as they come")] = (
        False
    ),
    interval: Annotated[float, typer.Option(help="Seconds between polls with --follow")] = 2.0,
    max_polls: Annotated[
        int | None, typer.Option("--max-polls", help="With --follow, stop after N polls")
    ] = None,
) -> None:
    """The tenant's audit log (admin), newest first; --follow polls for new events."""
    params: dict[str, Any] = {"limit": limit}
    if type_:
        params["type"] = type_
    if actor:
        params["actor"] = actor
    events = api.call("GET", "/audit-events", params=params)["events"]
    print("time\ttype\tactor\tcredential\ttarget\tsource ip\tdetails")
    for e in reversed(events):
        print("\t".join(clean(v) for v in _event_row(e)))
    if not follow:
        return
    seen = {e["id"] for e in events}
    newest = max(seen, default="")
    polls = 0
    while max_polls is None or polls < max_polls:
        polls += 1
        time.sleep(interval)
        page = api.call("GET", "/audit-events", params={**params, "limit": 100})["events"]
        fresh = [e for e in page if e["id"] > newest and e["id"] not in seen]
        for e in reversed(fresh):
            print("\t".join(clean(v) for v in _event_row(e)), flush=True)
            seen.add(e["id"])
            newest = max(newest, e["id"])
