"""Executions, agents and logs on a real DynamoDB API (moto; DynamoDB Local with the marker)."""

from __future__ import annotations

import threading

import pytest

from sculptops.domain.catalog import Host
from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from sculptops.domain.executions import Status
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.local.seed import LOCAL_ID, PING_ID
from sculptops.services.agents import RawLine
from sculptops.services.executions import NewExecution
from tests.conftest import session
from tests.integration.conftest import on_dynamodb_local_too


def run_request(**kw: object) -> NewExecution:
    base = {
        "playbook_id": PING_ID,
        "inventory_id": LOCAL_ID,
        "extra_vars": {},
        "tags": [],
        "limit": None,
    }
    base.update(kw)
    return NewExecution(**base)  # type: ignore[arg-type]


def agent_caller(real, tenant: str = "demo") -> Caller:
    admin = session(real, "admin@demo" if tenant == "demo" else "admin@acme", tenant)
    registered = real.agents.register(admin, f"agent-{tenant}")
    principal = real.authenticator.authenticate(registered.token)
    return real.authenticator.act_in(principal, "active")


def test_trigger_claim_log_finish(real) -> None:
    member = session(real, "member@demo")
    queued = real.executions.trigger(member, run_request(extra_vars={"who": "me"}, tags=["a"]))
    assert queued.status is Status.QUEUED and queued.triggered_by == "member@demo"
    agent = agent_caller(real)
    claimed = real.agents.claim(agent)
    assert claimed is not None and claimed.execution.id == queued.id
    assert claimed.execution.status is Status.RUNNING and claimed.playbook.name == "ping"
    assert real.agents.claim(agent) is None  # nothing else queued
    assert real.agents.append_logs(agent, queued.id, 1, [RawLine("one"), RawLine("two")]) == 3
    done = real.agents.finish(agent, queued.id, 0)
    assert done.status is Status.SUCCESS and done.exit_code == 0 and done.finished_at
    view = real.executions.logs(member, queued.id, 0, 500)
    assert [ln.line for ln in view.lines] == ["one", "two"] and view.complete
    with pytest.raises(Conflict):
        real.agents.finish(agent, queued.id, 1)  # a terminal status is written once
    assert real.executions.get(member, queued.id).status is Status.SUCCESS


def test_non_zero_exit_is_failed(real) -> None:
    e = real.executions.trigger(session(real, "admin@demo"), run_request())
    agent = agent_caller(real)
    real.agents.claim(agent)
    assert real.agents.finish(agent, e.id, 2).status is Status.FAILED


def test_roles_and_tenants(real) -> None:
    with pytest.raises(Forbidden):
        real.executions.trigger(session(real, "viewer@demo"), run_request())
    # acme has the same seeded ids, but an execution of demo is not found from acme.
    e = real.executions.trigger(session(real, "member@demo"), run_request())
    with pytest.raises(NotFound):
        real.executions.get(session(real, "admin@acme"), e.id)
    with pytest.raises(NotFound):
        real.executions.cancel(session(real, "admin@acme"), e.id)
    # An agent of acme never claims a run of demo.
    assert real.agents.claim(agent_caller(real, "acme")) is None
    # Agent tokens reach only the protocol; people cannot use it.
    with pytest.raises(Forbidden):
        real.agents.claim(session(real, "admin@demo"))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"playbook_id": "pb_ffffffffffffffffffffffff"}, "playbook_id"),
        ({"playbook_id": "nope"}, "playbook_id"),
        ({"inventory_id": "inv_ffffffffffffffffffffffff"}, "inventory_id"),
        ({"extra_vars": {"bad key": 1}}, "extra_vars"),
        ({"extra_vars": {"big": "x" * 70000}}, "extra_vars"),
        ({"tags": ["ok", "not ok"]}, "tags.1"),
        ({"limit": "web;rm -rf"}, "limit"),
    ],
)
def test_trigger_validation(real, kw, field) -> None:
    with pytest.raises(InvalidInput) as exc:
        real.executions.trigger(session(real, "admin@demo"), run_request(**kw))
    assert exc.value.field == field


@on_dynamodb_local_too
def test_cancel_queued_at_once_and_running_via_the_agent(real) -> None:
    member = session(real, "member@demo")
    a = real.executions.trigger(member, run_request())
    assert real.executions.cancel(member, a.id).status is Status.CANCELLED
    with pytest.raises(Conflict):
        real.executions.cancel(member, a.id)
    b = real.executions.trigger(member, run_request())
    agent = agent_caller(real)
    assert real.agents.claim(agent).execution.id == b.id  # the cancelled one is not claimed
    running = real.executions.cancel(member, b.id)
    assert running.status is Status.RUNNING and running.cancel_requested
    assert real.agents.heartbeat(agent, b.id).cancel_requested
    assert real.agents.finish(agent, b.id, -15).status is Status.CANCELLED


@on_dynamodb_local_too
def test_claims_the_oldest_first(real) -> None:
    member = session(real, "member@demo")
    ids = []
    for _ in range(3):
        ids.append(real.executions.trigger(member, run_request()).id)
        real.clock.advance(seconds=1)
    agent = agent_caller(real)
    assert [real.agents.claim(agent).execution.id for _ in range(3)] == ids


def test_fifty_agents_race_for_one_run(real_race) -> None:
    real = real_race
    e = real.executions.trigger(session(real, "member@demo"), run_request())
    agents = [agent_caller(real) for _ in range(5)]
    won: list[str] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(50)

    def claim(i: int) -> None:
        barrier.wait()
        try:
            got = real.agents.claim(agents[i % 5])
            if got is not None:
                won.append(got.execution.agent_id)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(won) == 1
    assert real.executions.get(session(real, "viewer@demo"), e.id).agent_id == won[0]


def test_finish_and_cancel_race_to_one_terminal_status(real_race) -> None:
    real = real_race
    member = session(real, "member@demo")
    agent = agent_caller(real)
    for _ in range(5):
        e = real.executions.trigger(member, run_request())
        real.agents.claim(agent)
        results: list[object] = []
        barrier = threading.Barrier(2)

        def finish() -> None:
            barrier.wait()
            try:
                results.append(real.agents.finish(agent, e.id, 0).status)
            except Conflict as exc:
                results.append(exc)

        def cancel() -> None:
            barrier.wait()
            try:
                results.append(real.executions.cancel(member, e.id).status)
            except Conflict as exc:
                results.append(exc)

        threads = [threading.Thread(target=finish), threading.Thread(target=cancel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = real.executions.get(member, e.id)
        assert final.status.terminal
        assert final.status in (Status.SUCCESS, Status.CANCELLED)


@on_dynamodb_local_too
def test_a_resent_log_batch_is_stored_once(real) -> None:
    e = real.executions.trigger(session(real, "member@demo"), run_request())
    agent = agent_caller(real)
    real.agents.claim(agent)
    batch = [RawLine(f"line {i}") for i in range(10)]
    assert real.agents.append_logs(agent, e.id, 1, batch) == 11
    assert real.agents.append_logs(agent, e.id, 1, batch) == 11  # resent: no error, no copy
    with pytest.raises(Conflict):
        real.agents.append_logs(agent, e.id, 15, batch)  # a gap
    view = real.executions.logs(session(real, "viewer@demo"), e.id, 0, 1000)
    assert [ln.seq for ln in view.lines] == list(range(1, 11))


def test_reading_four_hundred_lines_in_pages_of_fifty(real) -> None:
    e = real.executions.trigger(session(real, "member@demo"), run_request())
    agent = agent_caller(real)
    real.agents.claim(agent)
    viewer = session(real, "viewer@demo")
    seen: list[int] = []
    after = 0
    written = 0
    while True:
        if written < 400:  # the agent writes while the reader reads
            real.agents.append_logs(
                agent,
                e.id,
                written + 1,
                [RawLine(f"item {written + i}") for i in range(37)][: 400 - written],
            )
            written = min(400, written + 37)
            if written == 400:
                real.agents.finish(agent, e.id, 0)
        view = real.executions.logs(viewer, e.id, after, 50)
        seen += [ln.seq for ln in view.lines]
        after = view.next
        if view.complete:
            break
    assert seen == list(range(1, 401))


def test_long_lines_are_truncated_with_a_marker(real) -> None:
    e = real.executions.trigger(session(real, "member@demo"), run_request())
    agent = agent_caller(real)
    real.agents.claim(agent)
    real.agents.append_logs(agent, e.id, 1, [RawLine("x" * 100_000), RawLine("short")])
    lines = real.executions.logs(session(real, "viewer@demo"), e.id, 0, 10).lines
    assert lines[0].line.endswith("[truncated]") and len(lines[0].line) <= 8192
    assert lines[1].line == "short"


@on_dynamodb_local_too
def test_the_sweeper_fails_a_run_whose_agent_died(real) -> None:
    member = session(real, "member@demo")
    dead = real.executions.trigger(member, run_request())
    agent = agent_caller(real)
    real.agents.claim(agent)
    real.agents.append_logs(agent, dead.id, 1, [RawLine("working...")])
    queued = real.executions.trigger(member, run_request())
    assert real.agents.sweep() == 0  # lease still valid
    real.clock.advance(seconds=61)
    assert real.agents.sweep() == 1
    failed = real.executions.get(member, dead.id)
    assert failed.status is Status.FAILED and "stopped reporting" in (failed.error or "")
    view = real.executions.logs(member, dead.id, 0, 100)
    assert view.lines[0].line == "working..."
    assert "stopped reporting" in view.lines[-1].line and view.complete
    # Queued runs are never lost; the dead agent's late finish is refused.
    assert real.executions.get(member, queued.id).status is Status.QUEUED
    with pytest.raises(Conflict):
        real.agents.finish(agent, dead.id, 0)
    assert real.agents.sweep() == 0


@on_dynamodb_local_too
def test_heartbeat_extends_the_lease(real) -> None:
    e = real.executions.trigger(session(real, "member@demo"), run_request())
    agent = agent_caller(real)
    real.agents.claim(agent)
    for _ in range(3):
        real.clock.advance(seconds=40)
        real.agents.heartbeat(agent, e.id)
    assert real.agents.sweep() == 0


@on_dynamodb_local_too
def test_idempotency_key(real) -> None:
    member = session(real, "member@demo")
    body = {"playbook_id": PING_ID, "inventory_id": LOCAL_ID}
    calls = []

    def action():
        calls.append(1)
        created = real.executions.trigger(member, run_request())
        return 201, created.id

    first = real.idempotency.run(member, "k-1", "create", body, action)
    again = real.idempotency.run(member, "k-1", "create", body, action)
    assert again.replayed and again.body == first.body and len(calls) == 1
    with pytest.raises(InvalidInput):
        real.idempotency.run(member, "k-1", "create", {**body, "tags": ["x"]}, action)
    # Another caller's key space is separate.
    other = session(real, "admin@demo")
    assert not real.idempotency.run(other, "k-1", "create", body, action).replayed
    # After 24 hours the key is free again.
    real.clock.advance(hours=24, seconds=1)
    assert not real.idempotency.run(member, "k-1", "create", body, action).replayed
    with pytest.raises(InvalidInput):
        real.idempotency.run(member, "bad key!", "create", body, action)


@on_dynamodb_local_too
def test_idempotency_in_flight_and_release_on_failure(real) -> None:
    member = session(real, "member@demo")
    started = threading.Event()
    release = threading.Event()

    def slow():
        started.set()
        release.wait(10)
        return 201, "x"

    t = threading.Thread(target=lambda: real.idempotency.run(member, "k", "op", {}, slow))
    t.start()
    started.wait(10)
    with pytest.raises(Conflict):
        real.idempotency.run(member, "k", "op", {}, slow)
    release.set()
    t.join()

    def boom():
        raise InvalidInput("x", "bad")

    with pytest.raises(InvalidInput):
        real.idempotency.run(member, "k2", "op", {}, boom)
    assert real.idempotency.run(member, "k2", "op", {}, lambda: (201, "ok")).body == "ok"


def test_catalog_crud_validation_and_roles(real) -> None:
    admin = session(real, "admin@demo")
    pb = real.catalog.create_playbook(admin, "hello", "- hosts: all\n  tasks: []\n")
    assert [p.name for p in real.catalog.list_playbooks(session(real, "viewer@demo"))] == [
        "hello",
        "ping",
    ]
    for bad in (
        "",
        "a: [",
        "- just a string",
        "{}",
        "- tasks: []",
        "- hosts: all\n- import_playbook: x.yml",
    ):
        with pytest.raises(InvalidInput):
            real.catalog.create_playbook(admin, "x", bad or " ")
    with pytest.raises(Forbidden):
        real.catalog.create_playbook(session(real, "member@demo"), "x", "- hosts: all\n")
    updated = real.catalog.replace_playbook(admin, pb.id, "hello2", "- hosts: web\n")
    assert updated.name == "hello2" and updated.created_at == pb.created_at
    with pytest.raises(NotFound):
        real.catalog.get_playbook(session(real, "admin@acme"), pb.id)
    real.catalog.delete_playbook(admin, pb.id)
    with pytest.raises(NotFound):
        real.catalog.delete_playbook(admin, pb.id)
    inv = real.catalog.create_inventory(
        admin, "web", [Host("web1.example.com", {"port": 22}), Host("10.0.0.5")], {"user": "deploy"}
    )
    got = real.catalog.get_inventory(session(real, "viewer@demo"), inv.id)
    assert got.hosts[0].vars == {"port": 22} and got.vars == {"user": "deploy"}
    for hosts, field in (
        ([], "hosts"),
        ([Host("bad host")], "hosts.0.name"),
        ([Host("a"), Host("a")], "hosts.1.name"),
        ([Host("a", {"bad-var": 1})], "hosts.0.vars"),
    ):
        with pytest.raises(InvalidInput) as exc:
            real.catalog.create_inventory(admin, "x", hosts, {})
        assert exc.value.field == field


def test_a_run_whose_playbook_was_deleted_fails_saying_why(real) -> None:
    admin = session(real, "admin@demo")
    pb = real.catalog.create_playbook(admin, "gone", "- hosts: all\n")
    e = real.executions.trigger(admin, run_request(playbook_id=pb.id))
    real.catalog.delete_playbook(admin, pb.id)
    assert real.agents.claim(agent_caller(real)) is None
    failed = real.executions.get(admin, e.id)
    assert failed.status is Status.FAILED
    assert "deleted" in real.executions.logs(admin, e.id, 0, 10).lines[0].line


def test_list_newest_first_filtered_and_paginated(real) -> None:
    member = session(real, "member@demo")
    made = []
    for _ in range(7):
        made.append(real.executions.trigger(member, run_request()).id)
        real.clock.advance(seconds=1)
    real.executions.cancel(member, made[0])
    page = real.executions.list_executions(member, None, None, None, 3)
    assert [e.id for e in page.executions] == made[::-1][:3]
    rest = real.executions.list_executions(member, None, None, page.next_cursor, 10)
    assert [e.id for e in rest.executions] == made[::-1][3:] and rest.next_cursor is None
    cancelled = real.executions.list_executions(member, Status.CANCELLED, None, None, 10)
    assert [e.id for e in cancelled.executions] == [made[0]]
    assert (
        real.executions.list_executions(
            member, None, "pb_ffffffffffffffffffffffff", None, 10
        ).executions
        == []
    )


def test_agents_register_list_remove(real) -> None:
    admin = session(real, "admin@demo")
    registered = real.agents.register(admin, "builder")
    assert registered.token.startswith("ag_agent_")
    listed = real.agents.list_agents(session(real, "viewer@demo"))
    assert [a.name for a in listed] == ["builder"]
    with pytest.raises(Forbidden):
        real.agents.register(session(real, "member@demo"), "x")
    p = real.authenticator.authenticate(registered.token)
    assert p.kind is CredentialKind.AGENT and p.agent_tenant == "demo"
    real.agents.remove(admin, registered.agent.id)
    from sculptops.domain.errors import NotAuthenticated

    with pytest.raises(NotAuthenticated):
        real.authenticator.authenticate(registered.token)
