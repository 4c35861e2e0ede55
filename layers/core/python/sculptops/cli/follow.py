"""Following a run from the terminal: poll the log with the server's pace, print, exit code."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.text import Text

from sculptops.api_client import ApiClient, ApiError

LEVEL_STYLES = {
    "ok": "green",
    "changed": "yellow",
    "failed": "bold red",
    "unreachable": "bold magenta",
    "skipped": "cyan",
    "error": "bold red",
    "info": "",
}


def print_line(console: Console, line: dict[str, Any]) -> None:
    style = LEVEL_STYLES.get(line.get("level", "info"), "")
    console.print(Text(line["line"], style=style if console.is_terminal else ""), soft_wrap=True)


def follow(
    client: ApiClient,
    tenant: str,
    execution_id: str,
    console: Console,
    status_console: Console,
    after: int = 0,
) -> dict[str, Any]:
    """Print every line of the run as it arrives; returns the finished execution."""
    base = f"/api/v1/{tenant}/executions/{execution_id}"
    status_line = (
        status_console.status("waiting for the run…") if status_console.is_terminal else None
    )
    if status_line:
        status_line.start()
    try:
        while True:
            batch = client.json("GET", f"{base}/logs", params={"after": after, "limit": 1000})
            if batch["lines"] and status_line:
                status_line.stop()
            for line in batch["lines"]:
                print_line(console, line)
            after = batch["next"]
            if batch["complete"]:
                break
            if status_line:
                status_line.update(f"{batch['status']}…")
                if not batch["lines"]:
                    status_line.start()
            time.sleep(batch["poll_after_ms"] / 1000)
    finally:
        if status_line:
            status_line.stop()
    execution: dict[str, Any] = client.json("GET", base)
    return execution


def exit_code_of(execution: dict[str, Any]) -> int:
    """The run's exit code for the shell: its own, or 1 for a failure without one."""
    code = execution.get("exit_code")
    if execution["status"] == "success":
        return 0
    if isinstance(code, int) and 0 < code < 256:
        return code
    return 130 if execution["status"] == "cancelled" else 1


__all__ = ["ApiError", "exit_code_of", "follow"]
