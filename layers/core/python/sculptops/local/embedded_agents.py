"""The local stack's embedded agents: one `sculptops agent` process per seeded tenant.

Each talks HTTP to the stack like any agent. It gets a minimal environment (never the pepper, AWS
variables or the server's settings) and its token on stdin, not in its environment: a process's
initial environment stays readable in /proc/PID/environ by every process of the same user,
playbooks included.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

log = logging.getLogger("sculptops.serve")

# What an embedded agent inherits from the server's environment: what Python and Ansible need.
AGENT_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH", "TZ")


def agent_environment() -> dict[str, str]:
    """An allow-list: no token pepper, no AWS_*, no SCULPTOPS_* setting of the server."""
    env = {k: os.environ[k] for k in AGENT_ENVIRONMENT if k in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _stop_with_parent() -> None:
    """In the child: SIGTERM (not SIGKILL) when the thread that started it ends, so that an
    agent stops its run, removes its workspace and exits (PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_agents(
    base_url: str, tokens: dict[str, str], started_into: list[subprocess.Popen[bytes]]
) -> None:
    """Start one agent per tenant of `tokens`, appending each process to `started_into`.

    They are started from a thread that lives until they exit, and are sent SIGTERM if this
    process dies (PR_SET_PDEATHSIG is per thread; uvicorn re-raises a SIGTERM it caught, which
    ends this process without the stack's `stop`). Returns once they are started.
    """
    started = threading.Event()

    def run() -> None:
        try:
            for tenant, token in tokens.items():
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "sculptops.cli.main",
                        "agent",
                        "--url",
                        base_url,
                        "--token-stdin",
                        "--quiet",  # this process says it instead, naming the tenant
                    ],
                    env=agent_environment(),
                    stdin=subprocess.PIPE,
                    preexec_fn=_stop_with_parent,  # noqa: PLW1509
                )
                assert proc.stdin is not None
                with proc.stdin:
                    proc.stdin.write(f"{token}\n".encode())
                started_into.append(proc)
                log.info("embedded agent for %s polling %s for work", tenant, base_url)
        finally:
            started.set()
        for proc in started_into:
            proc.wait()

    threading.Thread(target=run, name="agents", daemon=True).start()
    started.wait(30)
