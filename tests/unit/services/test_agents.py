"""AgentService on fakes: registration, the agent protocol, and the sweeper's rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sculptops.domain.executions import Status
from sculptops.domain.logs import BATCH_MAX_LINES, Level
from sculptops.local.seed import LOCAL_ID, PING_ID
from sculptops.services.agents import LEASE, RawLine
from sculptops.services.executions import NewExecution

RUN = NewExecution(PING_ID, LOCAL_ID, {}, [], None)


def _second_agent(c, admin):
    token = c.agents.register(admin, "other").token
    return c.authenticator.act_in(c.authenticator.authenticate(token), "demo")


def test_an_admin_registers_an_agent_whose_token_works_until_it_is_removed(c, admin, viewer):
    # When an admin registers an agent
    registered = c.agents.register(admin, "  runner-1  ")
    # Then its token authenticates as the agent, in its tenant only, and it is listed
    principal = c.authenticator.authenticate(registered.token)
    assert principal.subject == registered.agent.id and principal.agent_tenant == "demo"
    assert registered.agent.name == "runner-1"
    assert [a.id for a in c.agents.list_agents(viewer)] == [registered.agent.id]
    # When it is removed, its token fails at once
    c.agents.remove(admin, registered.agent.id)
    with pytest.raises(NotAuthenticated):
        c.authenticator.authenticate(registered.token)
    with pytest.raises(NotFound):
        c.agents.remove(admin, registered.agent.id)


def test_only_admins_register_and_names_are_checked(c, member, admin, agent):
    with pytest.raises(Forbidden):
        c.agents.register(member, "x")
    with pytest.raises(Forbidden):
        c.agents.register(agent, "x")
    with pytest.raises(InvalidInput) as raised:
        c.agents.register(admin, " " * 3)
    assert raised.value.field == "name"


def test_claim_takes_the_oldest_queued_run_and_holds_a_lease(c, member, agent):
    # Given two queued runs
    first = c.executions.trigger(member, RUN)
    c.clock.advance(seconds=1)
    second = c.executions.trigger(member, RUN)
    # When the agent claims
    claimed = c.agents.claim(agent)
    # Then it gets the oldest, running on it with a lease, with its playbook and inventory
    assert claimed is not None and claimed.execution.id == first.id
    assert claimed.execution.status is Status.RUNNING
    assert claimed.execution.agent_id == agent.subject
    assert claimed.execution.lease_expires_at == c.clock.now() + LEASE
    assert claimed.playbook.id == PING_ID and claimed.inventory.id == LOCAL_ID
    # And the next claim gets the second; then there is nothing left
    assert c.agents.claim(agent).execution.id == second.id
    assert c.agents.claim(agent) is None


def test_a_run_whose_playbook_was_deleted_fails_saying_why_and_the_next_is_claimed(
    c, admin, member, agent
):
    # Given a run queued before its playbook was deleted, then a run of another playbook
    doomed = c.executions.trigger(member, RUN)
    other = c.catalog.create_playbook(admin, "other", "- hosts: all\n  tasks: []\n")
    c.clock.advance(seconds=1)
    fine = c.executions.trigger(member, NewExecution(other.id, LOCAL_ID, {}, [], None))
    c.catalog.delete_playbook(admin, PING_ID)
    # When the agent claims
    claimed = c.agents.claim(agent)
    # Then it gets the second, and the first failed with a line saying why
    assert claimed is not None and claimed.execution.id == fine.id
    failed = c.executions.get(member, doomed.id)
    assert failed.status is Status.FAILED and failed.exit_code == -1
    (line,) = c.executions.logs(member, doomed.id, 0, 10).lines
    assert line.level is Level.ERROR
    assert line.line == "SculptOps: the playbook was deleted before the run started"


def test_heartbeat_extends_the_lease_of_the_holder_only(c, admin, member, agent):
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    c.clock.advance(seconds=30)
    assert c.agents.heartbeat(agent, run.id).lease_expires_at == c.clock.now() + LEASE
    with pytest.raises(Conflict, match="not running here"):
        c.agents.heartbeat(_second_agent(c, admin), run.id)


def test_log_batches_are_numbered_stored_once_and_never_leave_a_gap(c, member, agent):
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    batch = [RawLine("ok: [local]"), RawLine("two", Level.CHANGED)]
    # When a batch is sent, then resent (a retry after a lost answer)
    assert c.agents.append_logs(agent, run.id, 1, batch) == 3
    assert c.agents.append_logs(agent, run.id, 1, batch) == 3
    # Then its lines are stored once, numbered, with the agent's levels or info
    lines = c.executions.logs(member, run.id, 0, 100).lines
    assert [(ln.seq, ln.level) for ln in lines] == [(1, Level.INFO), (2, Level.CHANGED)]
    # And a batch that skips ahead is a conflict naming the expected seq
    with pytest.raises(Conflict, match="expected first_seq 3, got 5"):
        c.agents.append_logs(agent, run.id, 5, batch)


@pytest.mark.parametrize(
    ("first_seq", "count", "field"), [(0, 1, "first_seq"), (1, 0, "lines"), (1, 1001, "lines")]
)
def test_log_batches_are_validated(c, member, agent, first_seq, count, field):
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    assert BATCH_MAX_LINES == 1000
    with pytest.raises(InvalidInput) as raised:
        c.agents.append_logs(agent, run.id, first_seq, [RawLine("x")] * count)
    assert raised.value.field == field


def test_another_agent_cannot_write_logs_or_finish(c, admin, member, agent):
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    intruder = _second_agent(c, admin)
    with pytest.raises(Conflict, match="not running here"):
        c.agents.append_logs(intruder, run.id, 1, [RawLine("x")])
    with pytest.raises(Conflict):
        c.agents.finish(intruder, run.id, 0)
    assert c.executions.get(member, run.id).status is Status.RUNNING


@pytest.mark.parametrize(("code", "status"), [(0, Status.SUCCESS), (2, Status.FAILED)])
def test_finish_maps_the_exit_code_and_happens_once(c, member, agent, code, status):
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    finished = c.agents.finish(agent, run.id, code)
    assert finished.status is status and finished.exit_code == code
    assert finished.finished_at == c.clock.now()
    # A second finish is a conflict and changes nothing
    with pytest.raises(Conflict, match=f"already {status.value}"):
        c.agents.finish(agent, run.id, 0 if code else 1)
    assert c.executions.get(member, run.id).status is status


def test_humans_cannot_speak_the_agent_protocol(c, admin):
    with pytest.raises(Forbidden):
        c.agents.claim(admin)


def test_the_sweeper_fails_runs_whose_agent_went_silent_and_only_those(c, admin, member, agent):
    # Given two running runs on two agents, one of which keeps heartbeating
    silent = c.executions.trigger(member, RUN)
    c.clock.advance(seconds=1)
    alive = c.executions.trigger(member, RUN)
    other = _second_agent(c, admin)
    c.agents.claim(agent)
    c.agents.claim(other)
    c.agents.append_logs(agent, silent.id, 1, [RawLine("working")])
    # When the lease passes, the live one heartbeats, and the sweeper runs
    c.clock.advance(seconds=LEASE.total_seconds() - 1)
    c.agents.heartbeat(other, alive.id)
    c.clock.advance(seconds=2)
    assert c.agents.sweep() == 1
    # Then the silent run failed, saying why in its error and in its last log line
    failed = c.executions.get(member, silent.id)
    assert failed.status is Status.FAILED and "stopped reporting" in (failed.error or "")
    lines = c.executions.logs(member, silent.id, 0, 10).lines
    assert [ln.seq for ln in lines] == [1, 2] and "stopped reporting" in lines[-1].line
    assert c.executions.get(member, alive.id).status is Status.RUNNING
    # And its agent can no longer finish it; a second sweep finds nothing
    with pytest.raises(Conflict):
        c.agents.finish(agent, silent.id, 0)
    assert c.agents.sweep() == 0


def test_an_idle_agent_is_recorded_at_most_every_half_minute(c, agent):
    store = c.agents._agents
    c.agents.claim(agent)
    writes = store.writes
    # When it polls again and again within 30 seconds: no write
    for _ in range(5):
        c.clock.advance(seconds=5)
        assert c.agents.claim(agent) is None
    assert store.writes == writes
    # When 30 seconds have passed: one write, with the time
    c.clock.advance(seconds=10)
    c.agents.claim(agent)
    assert store.writes == writes + 1
    (listed,) = store.list_agents("demo")
    assert listed.last_seen_at == c.clock.now() and listed.current_execution is None


def test_a_lease_is_a_minute(c):
    assert timedelta(seconds=60) == LEASE


def test_a_credential_in_the_logs_is_stored_masked_whole_lines_for_a_wrapped_one(c, member, agent):
    """Every viewer reads a run's log; Ansible prints what a task was given."""
    from sculptops.domain import token_format as tf

    token = tf.generate("ag_live_", tf.TokenHasher(None).owner_key("member@demo"))
    run = c.executions.trigger(member, RUN)
    c.agents.claim(agent)
    batch = [
        RawLine(f'ok: [local] => {{"msg": "Authorization: Bearer {token}"}}'),
        RawLine(f'    "stdout": "{token[:40]}'),  # hard-wrapped across two lines
        RawLine(f'{token[40:]}"'),
        RawLine("PLAY RECAP ***"),
    ]
    c.agents.append_logs(agent, run.id, 1, batch)
    stored = [ln.line for ln in c.executions.logs(member, run.id, 0, 100).lines]
    assert stored[0] == 'ok: [local] => {"msg": "Authorization: Bearer ag_live_[REDACTED]"}'
    assert stored[1:3] == ["[REDACTED]", "[REDACTED]"] and stored[3] == "PLAY RECAP ***"
