"""`sculptops run` and `sculptops logs`: trigger a playbook run, read or follow its log."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from sculptops.api_client import ApiError
from sculptops.cli.follow import exit_code_of, follow, print_line
from sculptops.cli.options import Api, api_command, console, err, fail


def _resolve(api: Api, kind: str, ref: str) -> str:
    """A playbook or inventory id from an id or a unique name."""
    items = api.call("GET", f"/{kind}")[kind]
    by_id = [i for i in items if i["id"] == ref]
    if by_id:
        return str(by_id[0]["id"])
    named = [i for i in items if i["name"] == ref]
    if len(named) == 1:
        return str(named[0]["id"])
    what = kind.rstrip("s").replace("ie", "y")
    if not named:
        err.print(f"No {what} named or with id {ref!r} in {api.tenant}.")
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


@api_command
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
    *,
    api: Api,
) -> None:
    """Trigger a playbook run; with --follow, print it live and exit with its exit code."""
    body: dict[str, Any] = {
        "playbook_id": _resolve(api, "playbooks", playbook),
        "inventory_id": _resolve(api, "inventories", inventory),
        "extra_vars": _parse_extra(extra_var or []),
        "tags": tag or [],
    }
    if limit:
        body["limit"] = limit
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    execution = api.call("POST", "/executions", json=body, headers=headers)
    err.print(f"Execution {execution['id']} {execution['status']}.")
    if not follow_run:
        print(execution["id"])
        return
    try:
        done = follow(api.client, api.tenant, execution["id"], console, err)
    except KeyboardInterrupt:
        if cancel_on_interrupt:
            api.call("POST", f"/executions/{execution['id']}/cancel")
            err.print(f"Cancel requested for {execution['id']}.")
        else:
            err.print(f"Stopped following; {execution['id']} goes on.")
        raise typer.Exit(130) from None
    except ApiError as exc:
        fail(exc)
    err.print(f"Execution {done['id']} {done['status']} (exit code {done['exit_code']}).")
    raise typer.Exit(exit_code_of(done))


@api_command
def logs(
    execution_id: Annotated[str, typer.Argument(help="The execution id (exe_...)")],
    follow_run: Annotated[bool, typer.Option("--follow", "-f", help="Until the run ends")] = False,
    *,
    api: Api,
) -> None:
    """Print a run's log; with --follow, until it ends, then exit with its exit code."""
    if follow_run:
        try:
            done = follow(api.client, api.tenant, execution_id, console, err)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except ApiError as exc:
            fail(exc)
        raise typer.Exit(exit_code_of(done))
    after = 0
    while True:
        batch = api.call(
            "GET", f"/executions/{execution_id}/logs", params={"after": after, "limit": 1000}
        )
        for line in batch["lines"]:
            print_line(console, line)
        after = batch["next"]
        if not batch["lines"] or batch["complete"]:
            break
