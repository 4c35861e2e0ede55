"""A real EventSource in Chromium follows a run's log through its stream URL.

The page is the stack's own origin (`/health`), so the stream URL (an absolute path) is
same-origin, as it is for the console; the test serves no page of its own. EventSource cannot
send Authorization: the signed ticket in the URL is the only credential.
"""

from __future__ import annotations

import time
from typing import Any

from tests.browser.conftest import BrowserPage
from tests.stack import Stack

PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"
WAIT_S = 90

# Opens the EventSource and collects every message into window.events until the stream is
# CLOSED (the 204 that follows the last line, or any refusal), or the time is up.
FOLLOW = """
([url, timeoutMs]) => new Promise((resolve) => {
  window.events = [];
  let opens = 0;
  const source = new EventSource(url);
  const finish = (timedOut) => {
    clearTimeout(timer);
    source.close();
    resolve({events: window.events, opens, readyState: source.readyState, timedOut,
             closedByServer: !timedOut});
  };
  const timer = setTimeout(() => finish(true), timeoutMs);
  source.onopen = () => { opens += 1; };
  source.onmessage = (e) => {
    window.events.push({id: e.lastEventId, data: JSON.parse(e.data)});
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) finish(false);
  };
})
"""


def _poll_all(stack: Stack, run: str) -> tuple[list[int], dict[str, Any]]:
    seqs: list[int] = []
    after = 0
    with stack.client(stack.token) as c:
        for _ in range(200):
            page = c.get(f"/api/v1/demo/executions/{run}/logs", params={"after": after}).json()
            seqs += [ln["seq"] for ln in page["lines"]]
            after = page["next"]
            if page["complete"]:
                return seqs, page
            time.sleep(page["poll_after_ms"] / 1000)
    raise AssertionError("the poll never completed")


def test_event_source_follows_a_run_through_its_stream_url(
    browser_page: BrowserPage, stack: Stack
) -> None:
    # Given a run of the seeded ping playbook, just triggered (it is queued or running)
    with stack.client(stack.token) as c:
        r = c.post(
            "/api/v1/demo/executions", json={"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
        )
        assert r.status_code == 201, r.text
        run = r.json()["id"]
        # And its stream URL
        r = c.post(f"/api/v1/demo/executions/{run}/logs/stream-url")
        assert r.status_code == 201, r.text
        url = r.json()["url"]
    assert url.startswith(f"/api/v1/demo/executions/{run}/logs/stream?ticket=st_")

    # When Chromium's EventSource follows it from the stack's origin
    browser_page.goto("/health")
    started = time.monotonic()
    result = browser_page.page.evaluate(FOLLOW, [url, WAIT_S * 1000])
    took = time.monotonic() - started

    # Then the stream ended by itself after the run completed (204: readyState CLOSED)
    assert not result["timedOut"], f"still open after {took:.0f}s: {result['events'][-3:]}"
    assert result["readyState"] == 2 and result["opens"] >= 1
    with stack.client(stack.token) as c:
        status = c.get(f"/api/v1/demo/executions/{run}").json()
    assert status["status"] == "success" and status["finished_at"] is not None

    # And every line arrived exactly once, in order, the same as the JSON poll of that run
    ids = [int(e["id"]) for e in result["events"]]
    polled, last = _poll_all(stack, run)
    assert last["complete"]
    assert ids == polled and ids == list(range(1, len(ids) + 1))
    assert [e["data"]["seq"] for e in result["events"]] == ids
    lines = [e["data"]["line"] for e in result["events"]]
    assert any(line.startswith("PLAY RECAP") for line in lines)

    # And the page saw no error and talked to nothing but the stack
    # (Chromium asks for /favicon.ico on any top-level page; /health, a JSON document, has none.)
    errors = [e for e in browser_page.console_errors if "/favicon.ico" not in e]
    assert errors == []
    assert browser_page.foreign_requests == []


def test_event_source_with_a_bad_ticket_stops_at_once(
    browser_page: BrowserPage, stack: Stack
) -> None:
    with stack.client(stack.token) as c:
        r = c.post(
            "/api/v1/demo/executions", json={"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
        )
        run = r.json()["id"]
        url = c.post(f"/api/v1/demo/executions/{run}/logs/stream-url").json()["url"]
    browser_page.goto("/health")
    forged = url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB")
    result = browser_page.page.evaluate(FOLLOW, [forged, 10_000])
    assert not result["timedOut"] and result["readyState"] == 2
    assert result["events"] == [] and result["opens"] == 0
