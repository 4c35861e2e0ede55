"""A request path with control characters reaches the local stack's log escaped, never raw."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

from tests.stack import Stack


def test_a_forged_log_line_in_a_path_is_escaped(stack: Stack) -> None:
    # Given a path that carries a terminal escape (clear the screen), a Unicode line separator
    # and C1/DEL controls (CR LF never reach a function: the gateway finds no route for them)
    marker = "FORGED-f15"
    path = f"/api/v1/demo/executions/exe_%1b%5b2J%e2%80%a8INFO%20{marker}%c2%85%7f"
    parts = urlsplit(stack.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        # When it is requested (authorized, so that the API's function sees and logs it)
        conn.request("GET", path, headers={"Authorization": f"Bearer {stack.token}"})
        status = conn.getresponse().status
    finally:
        conn.close()
    assert 400 <= status < 500, status
    # Then the log holds it on one line, each control character written out
    deadline = time.monotonic() + 10
    while marker not in stack.logs() and time.monotonic() < deadline:
        time.sleep(0.2)
    lines = [line for line in stack.logs().splitlines() if marker in line]
    assert lines, "the request was not logged"
    for line in lines:
        assert not any(c in line for c in "\x1b\u2028\x85\x7f"), repr(line)
    assert any("exe_\\x1b[2J\\u2028INFO " in line for line in lines), lines
