"""`sculptops migrate`: one-off moves of a stage's stored items, run by an operator with the
stage's AWS credentials (not over the API: no caller of the API may do this)."""

from __future__ import annotations

from typing import Annotated

import typer

from sculptops.cli.options import console, err

app = typer.Typer(
    name="migrate", help="Move a stage's stored items after a key change.", no_args_is_help=True
)


@app.command("user-keys")
def user_keys(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list the users whose item would move.")
    ] = False,
) -> None:
    """Key user items by owner key (needed once, after the first deploy of a version whose
    tokens carry their owner's key, on a stage deployed before). Reads the table name, region
    and endpoint as the functions do: SCULPTOPS_IDENTITY_TABLE (or SCULPTOPS_STAGE),
    AWS_REGION, SCULPTOPS_DYNAMODB_ENDPOINT. Run it again until nothing is left."""
    import botocore.session

    from sculptops.adapters.dynamodb.migrations import move_user_items
    from sculptops.settings import Settings

    settings = Settings.from_env()
    client = botocore.session.get_session().create_client(
        "dynamodb", settings.region, endpoint_url=settings.dynamodb_endpoint
    )
    report = move_user_items(client, settings.identity_table, dry_run=dry_run)
    verb = "would move" if dry_run else "moved"
    console.print(f"{settings.identity_table}: {verb} {len(report.moved)} user item(s)")
    if dry_run:
        for user_id in report.moved:
            console.print(f"  {user_id}", markup=False, highlight=False)
    for user_id in report.taken:
        err.print(
            f"kept the old item of {user_id!r}: its new key holds an item already", markup=False
        )
    for user_id in report.changed:
        err.print(f"not moved: {user_id!r} changed meanwhile; run again", markup=False)
    if report.left:
        raise typer.Exit(1)
