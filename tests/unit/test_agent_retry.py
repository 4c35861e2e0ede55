"""The agent's one retry policy (agent/retry.py), through the agent's real API client.

The client's HTTP transport is an httpx.MockTransport, so every request the agent makes is
counted (no sockets); waits go through the agent's stop event, recorded instead of slept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from sculptops.agent.protocol import PendingLog, log_line
from sculptops.agent.retry import CLAIM, REPORT, RetryPolicy, retry_after
from sculptops.agent.runner import Agent, AgentConfig

RUN = "exe_000000000000000000000001"


class RecordingStop(threading.Event):
    """A stop event that records each wait and returns at once (set after `limit` waits)."""

    def __init__(self, limit: int = 1000) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.limit = limit

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        if len(self.waits) >= self.limit:
            self.set()
        return self.is_set()


def agent_answering(
    answer: Callable[[httpx.Request], httpx.Response], stop: threading.Event
) -> tuple[Agent, list[httpx.Request]]:
    """An agent whose API answers with `answer`; the list gets every request it sends."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answer(request)

    agent = Agent(
        AgentConfig(url="http://api.invalid", token="unused", ansible_playbook="/bin/true"), stop
    )
    client = agent.protocol.client
    # The real ApiClient (as the agent configures it), over a transport that counts.
    client._http = httpx.Client(  # type: ignore[attr-defined]
        base_url="http://api.invalid", transport=httpx.MockTransport(handler)
    )
    return agent, sent


def test_a_finish_under_persistent_503_makes_at_most_the_policy_s_attempts() -> None:
    # Given an API that answers every request 503
    stop = RecordingStop()
    agent, sent = agent_answering(lambda _: httpx.Response(503), stop)
    # When the agent reports a run's end
    reported = agent.protocol.finish(RUN, 0)
    # Then it tries REPORT.max_attempts times, no more (the client itself retries nothing),
    # waiting between tries with growing, capped delays, and says it could not report it
    assert not reported
    assert REPORT.max_attempts == 8
    assert len(sent) == REPORT.max_attempts
    assert all(r.url.path == f"/api/v1/active/executions/{RUN}/finish" for r in sent)
    assert len(stop.waits) == REPORT.max_attempts - 1
    assert stop.waits[0] <= REPORT.base_delay
    assert max(stop.waits) <= REPORT.max_delay
    assert stop.waits[-1] > stop.waits[0]


def test_a_run_s_last_report_is_bounded_too() -> None:
    # Given an API that answers every request 503
    stop = RecordingStop()
    agent, sent = agent_answering(lambda _: httpx.Response(503), stop)
    # When a run ends with lines still to send
    agent._report(RUN, PendingLog(1, [log_line("done", "info")]), 0)
    # Then the last log batch and the finish get REPORT.max_attempts requests each, no more
    assert len(sent) == 2 * REPORT.max_attempts


def test_connection_errors_are_retried_within_the_same_bound() -> None:
    stop = RecordingStop()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    agent, sent = agent_answering(refuse, stop)
    assert not agent.protocol.finish(RUN, 0)
    assert len(sent) == REPORT.max_attempts


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_a_4xx_is_not_retried(status: int) -> None:
    # Given an API that refuses the request
    stop = RecordingStop()
    agent, sent = agent_answering(lambda _: httpx.Response(status), stop)
    # When the agent reports a run's end
    reported = agent.protocol.finish(RUN, 0)
    # Then it asked once and did not wait: the same request would get the same answer
    assert not reported
    assert len(sent) == 1
    assert stop.waits == []


@pytest.mark.parametrize("status", [404, 409])
def test_a_finish_for_a_run_that_is_no_longer_ours_is_done_at_once(status: int) -> None:
    stop = RecordingStop()
    agent, sent = agent_answering(lambda _: httpx.Response(status), stop)
    assert agent.protocol.finish(RUN, 0)
    assert len(sent) == 1


def test_retry_after_is_honoured() -> None:
    # Given an API that asks to wait 7 s (a 429), then 5 s (a 503 with an HTTP date), then works
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503, headers={"Retry-After": later}),
            httpx.Response(200, json={}),
        ]
    )
    stop = RecordingStop()
    agent, sent = agent_answering(lambda _: next(answers), stop)
    # When the agent reports a run's end
    reported = agent.protocol.finish(RUN, 0)
    # Then it waited at least as long as asked each time, and the third request got through
    assert reported
    assert len(sent) == 3
    assert stop.waits[0] >= 7
    assert 3.5 <= stop.waits[1] <= 5


def test_a_wait_past_the_deadline_is_not_made() -> None:
    # Given an API that asks to come back in ten minutes
    stop = RecordingStop()
    agent, sent = agent_answering(
        lambda _: httpx.Response(503, headers={"Retry-After": "600"}), stop
    )
    # Then the agent gives up at once rather than wait past the policy's deadline
    assert not agent.protocol.finish(RUN, 0)
    assert len(sent) == 1
    assert stop.waits == []


def test_a_stop_during_a_backoff_ends_it_at_once() -> None:
    # Given an API that answers 503 and asks for a 30 s wait, and a real stop event
    stop = threading.Event()
    agent, sent = agent_answering(
        lambda _: httpx.Response(503, headers={"Retry-After": "30"}), stop
    )
    stopped_at: list[float] = []

    def stop_soon() -> None:
        time.sleep(0.3)
        stopped_at.append(time.monotonic())
        stop.set()

    # When the agent is stopped while it waits to retry a finish
    threading.Thread(target=stop_soon).start()
    assert not agent.protocol.finish(RUN, 0)
    returned = time.monotonic()
    # Then the finish returns within 0.5 s of the stop, without another request
    assert stopped_at and returned - stopped_at[0] < 0.5
    assert len(sent) == 1


def test_heartbeats_and_running_log_batches_are_sent_once_each() -> None:
    # The supervising loop repeats them on its own cadence: a retry inside would hold up the
    # run's output and the check for a cancel.
    stop = RecordingStop()
    agent, sent = agent_answering(lambda _: httpx.Response(503), stop)
    assert agent.protocol.heartbeat(RUN) == "unknown"
    pending = PendingLog(1, [log_line("a line", None)])
    assert agent.protocol.send_logs(RUN, pending) is pending  # kept, to be sent again
    assert len(sent) == 2
    assert stop.waits == []


def test_a_failing_claim_backs_off_as_the_server_asks() -> None:
    # Given an API whose claims are throttled (429, Retry-After: 5)
    stop = RecordingStop(limit=4)
    agent, sent = agent_answering(lambda _: httpx.Response(429, headers={"Retry-After": "5"}), stop)
    # When the agent polls
    agent.run_forever()
    # Then it makes one request per claim and waits at least 5 s before the next one
    assert len(sent) == len(stop.waits) == 4
    assert min(stop.waits) >= 5


def test_the_backoff_grows_exponentially_with_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=8.0)
    for retry, full in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        delays = {policy.delay(retry) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jittered: agents do not retry in step
    assert CLAIM.max_attempts == 1


def test_retry_after_reads_seconds_and_dates_and_ignores_junk() -> None:
    def response(value: str) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": value})

    assert retry_after(response("3")) == 3
    assert retry_after(response("Wed, 21 Oct 2015 07:28:00 GMT")) == 0
    assert retry_after(response("soon")) is None
    assert retry_after(httpx.Response(503)) is None
    assert retry_after(None) is None
