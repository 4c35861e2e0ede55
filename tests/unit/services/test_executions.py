"""ExecutionService on fakes: triggering, reading, listing, cancelling, logs, deleting runs."""

from __future__ import annotations

import pytest

from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from sculptops.domain.executions import Status
from sculptops.local.seed import LOCAL_ID, PING_ID
from sculptops.services.agents import RawLine
from sculptops.services.executions import (
    POLL_MAX_MS,
    POLL_MIN_MS,
    NewExecution,
    poll_after_ms,
)
from tests.conftest import session

RUN = NewExecution(PING_ID, LOCAL_ID, {}, [], None)


def test_a_member_queues_a_run_that_records_who_triggered_it(c, member):
    # When a member triggers ping on local
    run = c.executions.trigger(member, RUN)
    # Then it is queued, stored, and names the member and the credential kind
    assert run.status is Status.QUEUED and run.tenant == "demo"
    assert run.triggered_by == "member@demo" and run.credential_kind == "jwt"
    assert c.execution_store.get("demo", run.id) == run


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (NewExecution("pb_000000000000000000000009", LOCAL_ID, {}, [], None), "playbook_id"),
        (NewExecution("nope", LOCAL_ID, {}, [], None), "playbook_id"),
        (NewExecution(PING_ID, "inv_000000000000000000000009", {}, [], None), "inventory_id"),
        (NewExecution(PING_ID, LOCAL_ID, {"ansible_shell_executable": "x"}, [], None), None),
        (NewExecution(PING_ID, LOCAL_ID, {}, ["-x"], None), "tags.0"),
        (NewExecution(PING_ID, LOCAL_ID, {}, [], "@hosts"), "limit"),
    ],
)
def test_bad_run_requests_name_the_field_and_store_nothing(c, member, request_, field):
    # When a run is asked for with a missing playbook or inventory, or unsafe parameters
    with pytest.raises(InvalidInput) as raised:
        c.executions.trigger(member, request_)
    # Then 422 naming the field, and nothing is queued
    if field is not None:
        assert raised.value.field == field
    assert c.executions.list_executions(member, None, None, None, 50).executions == []


def test_viewers_and_agents_cannot_trigger(c, viewer, agent):
    with pytest.raises(Forbidden):
        c.executions.trigger(viewer, RUN)
    with pytest.raises(Forbidden):
        c.executions.trigger(agent, RUN)


def test_another_tenant_never_sees_the_run(c, member):
    # Given a run in demo
    run = c.executions.trigger(member, RUN)
    acme_admin = session(c, "admin@acme", "acme")
    # When acme's admin asks for it: not found, and it is not listed
    with pytest.raises(NotFound):
        c.executions.get(acme_admin, run.id)
    assert c.executions.list_executions(acme_admin, None, None, None, 50).executions == []


def test_list_is_newest_first_filtered_and_paginated(c, member, agent):
    # Given five runs, the oldest claimed (running)
    made = []
    for _ in range(5):
        made.append(c.executions.trigger(member, RUN).id)
        c.clock.advance(seconds=1)
    c.agents.claim(agent)
    # When listed two at a time
    seen, cursor = [], None
    for _ in range(5):
        page = c.executions.list_executions(member, None, None, cursor, 2)
        seen += [e.id for e in page.executions]
        cursor = page.next_cursor
        if cursor is None:
            break
    # Then newest first, all of them, and the status filter finds the running one only
    assert seen == list(reversed(made))
    running = c.executions.list_executions(member, Status.RUNNING, None, None, 50).executions
    assert [e.id for e in running] == [made[0]]
    assert (
        c.executions.list_executions(
            member, None, "pb_000000000000000000000009", None, 50
        ).executions
        == []
    )


@pytest.mark.parametrize(("cursor", "limit", "field"), [("x", 10, "cursor"), (None, 0, "limit")])
def test_list_validates_cursor_and_limit(c, member, cursor, limit, field):
    with pytest.raises(InvalidInput) as raised:
        c.executions.list_executions(member, None, None, cursor, limit)
    assert raised.value.field == field


def test_cancel_a_queued_run_ends_it_at_once(c, member):
    run = c.executions.trigger(member, RUN)
    cancelled = c.executions.cancel(member, run.id)
    assert cancelled.status is Status.CANCELLED and cancelled.finished_at == c.clock.now()
    # And a second cancel is a conflict: a terminal status never changes
    with pytest.raises(Conflict, match="already cancelled"):
        c.executions.cancel(member, run.id)


def test_cancel_a_running_run_asks_its_agent_to_stop(c, member, agent):
    # Given a running run
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    # When a member cancels it
    asked = c.executions.cancel(member, run.id)
    # Then it is still running, with a cancel requested, which the heartbeat tells the agent
    assert asked.status is Status.RUNNING and asked.cancel_requested
    assert c.agents.heartbeat(agent, run.id).cancel_requested
    # And its agent's finish makes it cancelled, whatever the exit code
    assert c.agents.finish(agent, run.id, 0).status is Status.CANCELLED


def test_cancel_of_an_unknown_run_is_not_found(c, member):
    with pytest.raises(NotFound):
        c.executions.cancel(member, "exe_000000000000000000000009")


def test_logs_page_through_lines_and_say_when_to_poll_again(c, member, agent):
    # Given a queued run: no lines, poll soon (an idle agent takes it within ~2 s)
    run = c.executions.trigger(member, RUN)
    view = c.executions.logs(member, run.id, 0, 100)
    assert view.lines == [] and not view.complete and view.poll_after_ms == POLL_MIN_MS
    # Given it runs and wrote five lines
    c.agents.claim(agent)
    c.agents.append_logs(agent, run.id, 1, [RawLine(f"line {i}") for i in range(1, 6)])
    # When read two at a time: more to come at once (poll 0)
    first = c.executions.logs(member, run.id, 0, 2)
    assert [ln.line for ln in first.lines] == ["line 1", "line 2"] and first.next == 2
    assert first.poll_after_ms == 0 and not first.complete
    # When caught up while running: poll soon
    rest = c.executions.logs(member, run.id, 2, 100)
    assert [ln.seq for ln in rest.lines] == [3, 4, 5] and rest.poll_after_ms == POLL_MIN_MS
    c.clock.advance(seconds=3)
    idle = c.executions.logs(member, run.id, 5, 100)
    assert idle.lines == [] and idle.next == 5 and idle.poll_after_ms == 2000
    # When finished and caught up: complete
    c.agents.finish(agent, run.id, 0)
    done = c.executions.logs(member, run.id, 5, 100)
    assert done.complete and done.status is Status.SUCCESS and done.poll_after_ms == 0


@pytest.mark.parametrize(("after", "limit", "field"), [(-1, 10, "after"), (0, 0, "limit")])
def test_logs_validate_their_cursor(c, member, after, limit, field):
    run = c.executions.trigger(member, RUN)
    with pytest.raises(InvalidInput) as raised:
        c.executions.logs(member, run.id, after, limit)
    assert raised.value.field == field


def test_logs_of_an_unknown_run_are_not_found(c, member):
    for execution_id in ("nope", "exe_000000000000000000000009"):
        with pytest.raises(NotFound):
            c.executions.logs(member, execution_id, 0, 10)


def test_delete_needs_an_admin_and_a_finished_run_and_takes_its_log(c, admin, member, agent):
    # Given a running run with lines
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    c.agents.append_logs(agent, run.id, 1, [RawLine("x")])
    # When deleted while running: 409, cancel it first
    with pytest.raises(Conflict, match="cancel it first"):
        c.executions.delete(admin, run.id)
    # When a member deletes it once finished: 403
    c.agents.finish(agent, run.id, 1)
    with pytest.raises(Forbidden):
        c.executions.delete(member, run.id)
    # When an admin deletes it: gone, with its lines; a second delete is not found
    c.executions.delete(admin, run.id)
    assert c.execution_store.get("demo", run.id) is None
    assert ("demo", run.id) not in c.execution_store.lines
    with pytest.raises(NotFound):
        c.executions.delete(admin, run.id)


def test_agent_tokens_reach_no_human_route(c, member, agent):
    run = c.executions.trigger(member, RUN)
    for call in (
        lambda: c.executions.get(agent, run.id),
        lambda: c.executions.logs(agent, run.id, 0, 10),
        lambda: c.executions.cancel(agent, run.id),
    ):
        with pytest.raises(Forbidden):
            call()


@pytest.mark.parametrize(
    ("quiet_ms", "poll"),
    [
        (0, 500),
        (999, 500),
        (1000, 1000),
        (1999, 1000),
        (2000, 2000),
        (3999, 2000),
        (4000, 4000),
        (600_000, 4000),
        (10**9, 4000),
    ],
)
def test_the_poll_wait_doubles_with_quiet_up_to_four_seconds(quiet_ms, poll):
    assert poll_after_ms(quiet_ms) == poll


def test_a_follower_of_a_quiet_run_backs_off_and_snaps_back_on_output(c, member, agent):
    # Given a running run that printed one line, then nothing
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    c.agents.append_logs(agent, run.id, 1, [RawLine("TASK [wait]")])
    assert c.executions.logs(member, run.id, 0, 100).poll_after_ms == POLL_MIN_MS
    # When a follower honours each answer while it stays quiet: the waits double to the cap
    waits = []
    for _ in range(7):
        wait = c.executions.logs(member, run.id, 1, 100).poll_after_ms
        waits.append(wait)
        c.clock.advance(milliseconds=wait)
    assert waits == [500, 500, 1000, 2000, 4000, 4000, 4000]
    # When the run prints again: back to the minimum, and the quiet time counts from there
    c.agents.append_logs(agent, run.id, 2, [RawLine("ok: [localhost]")])
    assert c.executions.logs(member, run.id, 1, 100).poll_after_ms == POLL_MIN_MS
    assert c.executions.logs(member, run.id, 2, 100).poll_after_ms == POLL_MIN_MS
    c.clock.advance(seconds=1)
    assert c.executions.logs(member, run.id, 2, 100).poll_after_ms == 1000


def test_a_started_run_without_output_counts_its_quiet_from_its_start(c, member, agent):
    run = c.executions.trigger(member, RUN)
    c.clock.advance(seconds=30)  # queued a long time: the wait is capped
    assert c.executions.logs(member, run.id, 0, 100).poll_after_ms == POLL_MAX_MS
    c.agents.claim(agent)  # it starts: quiet from now
    assert c.executions.logs(member, run.id, 0, 100).poll_after_ms == POLL_MIN_MS


def test_a_ten_minute_quiet_run_costs_a_follower_half_the_polls():
    # Before: every 2 s while idle (300 polls); now: 0, 0.5, 1, 2, 4, then every 4 s.
    polls, t = 0, 0
    while t < 600_000:
        polls += 1
        t += poll_after_ms(t)
    assert polls == 153  # against 300
