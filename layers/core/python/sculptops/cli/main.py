"""`sculptops`: serve the local stack, run an agent, manage tokens, trigger and follow runs.

Each command group is a module of this package; it is registered here, one line each.
"""

from __future__ import annotations

import os

import typer

from sculptops.cli import governance, migrate, notifications, processes, runs, tokens

app = typer.Typer(
    help="SculptOps: run Ansible playbooks for teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Commands are listed in this order, then the groups (`add_typer`).
app.command()(processes.serve)
app.command()(runs.run)
app.command()(runs.logs)
app.command()(processes.agent)
app.add_typer(tokens.app)
app.command()(governance.audit)
app.add_typer(governance.members_app)
app.add_typer(governance.policy_app)
app.add_typer(governance.admin_app)
app.command()(notifications.notifications)
app.add_typer(notifications.credentials_app)
app.add_typer(migrate.app)


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
