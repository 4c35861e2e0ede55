"""`sculptops migrate`: one-off moves of a stage's stored items, run by an operator with the
stage's AWS credentials (not over the API: no caller of the API may do this)."""

from __future__ import annotations

from typing import Annotated

import typer

from sculptops.cli.options import console, err
from sculptops.observability import escape_controls

app = typer.Typer(
    name="migrate", help="Move a stage's stored items after a key change.", no_args_is_help=True
)


@app.command("user-keys")
def user_keys(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list the users whose item would move.")
    ] = False,
    pepper_changed: Annotated[
        bool,
        typer.Option(
            "--pepper-changed",
            help="The stage's pepper changed: move users keyed under the old one too.",
        ),
    ] = False,
) -> None:
    """Key every user item by its owner key under the stage's pepper: once after the first
    deploy of a version whose tokens carry their owner's key, on a stage deployed before, and
    after a change of pepper. Reads what the functions read: SCULPTOPS_TOKEN_PEPPER (required:
    the stage's own), SCULPTOPS_IDENTITY_TABLE (or SCULPTOPS_STAGE), AWS_REGION,
    SCULPTOPS_DYNAMODB_ENDPOINT. Run it again until nothing is left."""
    import botocore.session

    from sculptops.adapters.dynamodb.migrations import move_user_items
    from sculptops.domain.token_format import TokenHasher
    from sculptops.settings import Settings

    settings = Settings.from_env()
    if settings.token_pepper is None:
        # Keys made without the stage's pepper would be keys its functions never read.
        err.print("SCULPTOPS_TOKEN_PEPPER is not set: set it to the stage's pepper", markup=False)
        raise typer.Exit(2)
    client = botocore.session.get_session().create_client(
        "dynamodb", settings.region, endpoint_url=settings.dynamodb_endpoint
    )
    keys = TokenHasher(settings.token_pepper)
    report = move_user_items(
        client, settings.identity_table, keys, dry_run=dry_run, pepper_changed=pepper_changed
    )
    verb = "would move" if dry_run else "moved"
    moved = len(report.moved) + len(report.merged)
    console.print(f"{settings.identity_table}: {verb} {moved} user item(s)")
    for user_id in report.moved:
        if dry_run:
            console.print(f"  {escape_controls(user_id)}", markup=False, highlight=False)
    for user_id in report.merged:
        console.print(
            f"  {escape_controls(user_id)} (merged with the item already under its new key)",
            markup=False,
            highlight=False,
        )
    for user_id in report.changed:
        err.print(f"not moved: {user_id!r} changed meanwhile; run again", markup=False)
    for user_id in report.conflicts:
        err.print(f"not moved: {user_id!r}: its new key holds another user's item", markup=False)
    for key in report.unusable:
        err.print(f"left alone: {key!r} names no user", markup=False)
    if report.other_pepper:
        err.print(
            f"not moved: {len(report.other_pepper)} user item(s) keyed under another pepper. "
            "If the stage's pepper changed, run again with --pepper-changed; otherwise "
            "SCULPTOPS_TOKEN_PEPPER is not this stage's pepper.",
            markup=False,
        )
    if report.left:
        raise typer.Exit(1)
