"""`sculptops notifications` and `sculptops credentials revoke`: the token lifecycle's notices,
and reporting leaked tokens."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from sculptops.api_client import ApiClient, ApiError
from sculptops.cli.options import (
    DEFAULT_URL,
    USER_AGENT,
    Api,
    Json,
    Url,
    api_command,
    console,
    err,
    fail,
)

NOTIFICATIONS = "/api/v1/me/notifications"
# `tokens list` shows the notices of the last 7 days after its table.
PENDING = timedelta(days=7)

credentials_app = typer.Typer(
    name="credentials", help="Report leaked tokens (no sign-in needed).", no_args_is_help=True
)


def fetch(api: Api, limit: int) -> list[dict[str, Any]]:
    """The caller's notices, newest first (one page of at most `limit`)."""
    try:
        page = api.client.json("GET", NOTIFICATIONS, params={"limit": limit})
    except ApiError as exc:
        fail(exc)
    return list(page["notifications"])


def lines(notices: list[dict[str, Any]]) -> list[str]:
    """One line a notice: when (UTC, to the minute), its type, its message."""
    return [
        f"{str(n['created_at'])[:16].replace('T', ' ')}  {n['type']}  "
        + " ".join(str(n["message"]).split())
        for n in notices
    ]


def recent(notices: list[dict[str, Any]], now: datetime | None = None) -> list[dict[str, Any]]:
    """The notices of the last 7 days."""
    since = (now or datetime.now(UTC)) - PENDING
    kept = []
    for n in notices:
        try:
            created = datetime.fromisoformat(str(n["created_at"]).replace("Z", "+00:00"))
        except ValueError:
            continue
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        if created >= since:
            kept.append(n)
    return kept


@api_command
def notifications(
    api: Api,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="At most N")] = 20,
    as_json: Json = False,
) -> None:
    """Your notices, newest first: tokens expiring, revoked by an admin or as leaked."""
    found = fetch(api, limit)
    if as_json:
        console.print_json(json.dumps({"notifications": found}))
        return
    if not found:
        err.print("No notices.")
        return
    for line in lines(found):
        print(line)


@credentials_app.command("revoke")
def credentials_revoke(
    values: Annotated[
        list[str] | None,
        typer.Argument(help="Leaked values; none: one a line on stdin", show_default=False),
    ] = None,
    url: Url = DEFAULT_URL,
) -> None:
    """Revoke leaked tokens (POST /api/v1/credentials/revoke): the answer never says which
    values were live tokens."""
    found = list(values or [])
    if not found:
        found = [line.strip() for line in sys.stdin if line.strip()]
    if not found:
        err.print("No values: give them as arguments or one a line on stdin.")
        raise typer.Exit(2)
    client = ApiClient(url, None, user_agent=USER_AGENT, retries=1)
    try:
        for start in range(0, len(found), 1000):
            client.json(
                "POST",
                "/api/v1/credentials/revoke",
                json={"credentials": found[start : start + 1000]},
            )
    except ApiError as exc:
        fail(exc)
    finally:
        client.close()
    err.print(f"Accepted {len(found)} value(s): each live token among them is revoked now.")
