"""What `make run` tells a newcomer: a busy port, and a banner token that can make others."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.stack import ROOT, Stack

pytestmark = pytest.mark.e2e


def test_a_busy_port_is_refused_at_once_with_how_to_pick_another() -> None:
    # Given something already listening on the port
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # When the local stack is asked to serve there
        result = subprocess.run(
            [sys.executable, "-m", "sculptops.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    # Then it stops before starting anything, and says what to do
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "SCULPTOPS_TOKEN=" not in result.stdout


def test_the_banner_token_can_create_a_thirty_day_token(stack: Stack) -> None:
    # The README's `sculptops tokens create laptop --days 30`, with the token `make run` printed.
    assert "valid 90 days" in stack.logs()
    with stack.client(stack.token) as c:
        created = c.post("/api/v1/demo/tokens/", json={"name": "laptop", "expires_in_days": 30})
        assert created.status_code == 201, created.text
        assert c.delete(f"/api/v1/demo/tokens/{created.json()['id']}").status_code == 204
