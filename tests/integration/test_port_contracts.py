"""Port contracts: the same checks against the fakes (tests/fakes.py) and the DynamoDB adapters,
so that a fake cannot drift from the real store. Execution and log, idempotency and agent stores,
and the governance stores (members, policy, token ledger, audit log, notifications).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from moto import mock_aws

from sculptops.bootstrap import dynamodb_stores
from sculptops.domain.agents import Agent
from sculptops.domain.errors import Conflict, NotFound
from sculptops.domain.executions import Execution, Status
from sculptops.domain.idempotency import IdempotentRecord
from sculptops.domain.identity import CredentialKind
from sculptops.domain.logs import Level, LogLine
from sculptops.domain.roles import Role
from sculptops.domain.rotation import superseded
from sculptops.domain.tokens import StoredToken
from sculptops.local.tables import create_tables
from tests.fakes import fake_stores
from tests.integration.conftest import _settings

NOW = datetime(2026, 11, 22, 12, 0, 0, 123000, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=60)


# Fakes and moto by default; DynamoDB Local too for the contracts about a conditional write,
# a transaction or a write that happens once (`@on_all_three`), where moto could be wrong.
on_all_three = pytest.mark.parametrize(
    "s",
    ["fake", "moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)],
    indirect=True,
)


@pytest.fixture(params=["fake", "moto"])
def s(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    """Given the stores of one kind: fakes, or DynamoDB adapters on fresh tables."""
    if request.param == "fake":
        yield SimpleNamespace(**fake_stores())
    elif request.param == "moto":
        with mock_aws():
            settings = _settings(None)
            create_tables(settings)
            yield SimpleNamespace(**vars(dynamodb_stores(settings)))
    else:
        settings = _settings(request.getfixturevalue("dynamodb_local"))
        create_tables(settings)
        yield SimpleNamespace(**vars(dynamodb_stores(settings)))


def _run(n: int, tenant: str = "demo", **kw: object) -> Execution:
    return Execution(
        id=f"exe_{n:024d}",
        tenant=tenant,
        status=Status.QUEUED,
        playbook_id="pb_000000000000000000000001",
        inventory_id="inv_000000000000000000000001",
        created_at=NOW + timedelta(seconds=n),
        triggered_by="member@demo",
        credential_kind="jwt",
        **kw,  # type: ignore[arg-type]
    )


def _lines(first: int, count: int, text: str = "line") -> list[LogLine]:
    return [LogLine(first + i, NOW, Level.INFO, f"{text} {first + i}") for i in range(count)]


# ---- executions ----


@on_all_three
def test_create_and_read_back_and_no_second_create(s):
    run = _run(1, extra_vars={"a": [1, "x"]}, tags=["t"], limit="web")
    s.execution_store.create(run)
    assert s.execution_store.get("demo", run.id) == run
    assert s.execution_store.get("acme", run.id) is None
    with pytest.raises(Conflict):
        s.execution_store.create(run)


def test_list_is_newest_first_filtered_and_paged(s):
    for n in range(1, 6):
        s.execution_store.create(_run(n))
    s.execution_store.create(_run(9, tenant="acme"))
    s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    page = s.execution_store.list_for_tenant("demo", None, None, None, 2)
    assert [e.id for e in page.executions] == [_run(5).id, _run(4).id]
    assert page.next_cursor == _run(4).id
    rest = s.execution_store.list_for_tenant("demo", None, None, page.next_cursor, 10)
    assert [e.id for e in rest.executions] == [_run(3).id, _run(2).id, _run(1).id]
    assert rest.next_cursor is None
    running = s.execution_store.list_for_tenant("demo", Status.RUNNING, None, None, 10)
    assert [e.id for e in running.executions] == [_run(1).id]
    other = s.execution_store.list_for_tenant("demo", None, "pb_x", None, 10)
    assert other.executions == []


@on_all_three
def test_claim_takes_the_oldest_queued_of_the_tenant_once(s):
    for n in (2, 1):
        s.execution_store.create(_run(n))
    s.execution_store.create(_run(0, tenant="acme"))
    first = s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    assert first.id == _run(1).id and first.status is Status.RUNNING
    assert (first.agent_id, first.started_at, first.lease_expires_at) == ("agt_1", NOW, LEASE)
    assert s.execution_store.claim_next("demo", "agt_2", NOW, LEASE).id == _run(2).id
    assert s.execution_store.claim_next("demo", "agt_1", NOW, LEASE) is None


@on_all_three
def test_heartbeat_and_finish_belong_to_the_holder_and_finish_happens_once(s):
    s.execution_store.create(_run(1))
    run = s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    later = LEASE + timedelta(seconds=30)
    assert s.execution_store.heartbeat("demo", run.id, "agt_1", later).lease_expires_at == later
    with pytest.raises(Conflict, match="not running here"):
        s.execution_store.heartbeat("demo", run.id, "agt_2", later)
    with pytest.raises(NotFound):
        s.execution_store.heartbeat("demo", _run(7).id, "agt_1", later)
    with pytest.raises(Conflict):
        s.execution_store.finish("demo", run.id, "agt_2", Status.SUCCESS, 0, NOW)
    done = s.execution_store.finish("demo", run.id, "agt_1", Status.FAILED, 2, NOW)
    assert (done.status, done.exit_code, done.finished_at) == (Status.FAILED, 2, NOW)
    with pytest.raises(Conflict, match="already failed"):
        s.execution_store.finish("demo", run.id, "agt_1", Status.SUCCESS, 0, NOW)
    with pytest.raises(Conflict):
        s.execution_store.heartbeat("demo", run.id, "agt_1", later)
    assert s.execution_store.get("demo", run.id).status is Status.FAILED


@on_all_three
def test_cancel_queued_now_running_later_finished_never(s):
    s.execution_store.create(_run(1))
    s.execution_store.create(_run(2))
    running = s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    queued = s.execution_store.cancel("demo", _run(2).id, NOW)
    assert queued.status is Status.CANCELLED and queued.finished_at == NOW
    asked = s.execution_store.cancel("demo", running.id, NOW)
    assert asked.status is Status.RUNNING and asked.cancel_requested
    assert s.execution_store.claim_next("demo", "agt_1", NOW, LEASE) is None
    with pytest.raises(Conflict, match="already cancelled"):
        s.execution_store.cancel("demo", _run(2).id, NOW)
    with pytest.raises(NotFound):
        s.execution_store.cancel("demo", _run(7).id, NOW)


@on_all_three
def test_an_expired_lease_fails_the_run_once_with_a_log_line(s):
    s.execution_store.create(_run(1))
    run = s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    s.log_store.append_logs("demo", run.id, "agt_1", 1, _lines(1, 2))
    assert s.execution_store.expired_leases(LEASE, 10) == []
    after = LEASE + timedelta(seconds=2)
    (expired,) = s.execution_store.expired_leases(after, 10)
    assert expired.id == run.id
    assert s.execution_store.fail_expired(expired, after, "gone silent")
    assert not s.execution_store.fail_expired(expired, after, "gone silent")
    failed = s.execution_store.get("demo", run.id)
    assert (failed.status, failed.error, failed.log_next_seq) == (Status.FAILED, "gone silent", 4)
    page = s.log_store.read_logs("demo", run.id, 2, 10)
    assert [(ln.seq, ln.level, ln.line) for ln in page.lines] == [(3, Level.ERROR, "gone silent")]
    assert s.execution_store.expired_leases(after, 10) == []


@on_all_three
def test_delete_only_a_finished_run_with_its_lines(s):
    s.execution_store.create(_run(1))
    run = s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    s.log_store.append_logs("demo", run.id, "agt_1", 1, _lines(1, 3))
    with pytest.raises(Conflict, match="cancel it first"):
        s.execution_store.delete("demo", run.id)
    s.execution_store.finish("demo", run.id, "agt_1", Status.SUCCESS, 0, NOW)
    assert s.execution_store.delete("demo", run.id)
    assert s.execution_store.get("demo", run.id) is None
    with pytest.raises(NotFound):
        s.log_store.read_logs("demo", run.id, 0, 10)
    assert not s.execution_store.delete("demo", run.id)


# ---- logs ----


@on_all_three
def test_log_batches_are_ordered_stored_once_and_held_by_the_agent(s):
    s.execution_store.create(_run(1))
    run = s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    assert s.log_store.append_logs("demo", run.id, "agt_1", 1, _lines(1, 3)) == 4
    assert s.log_store.append_logs("demo", run.id, "agt_1", 1, _lines(1, 3)) == 4  # resent
    with pytest.raises(Conflict, match="expected first_seq 4, got 6"):
        s.log_store.append_logs("demo", run.id, "agt_1", 6, _lines(6, 1))
    with pytest.raises(Conflict, match="not running here"):
        s.log_store.append_logs("demo", run.id, "agt_2", 4, _lines(4, 1))
    with pytest.raises(NotFound):
        s.log_store.append_logs("demo", _run(7).id, "agt_1", 1, _lines(1, 1))
    assert s.execution_store.get("demo", run.id).log_next_seq == 4
    s.execution_store.finish("demo", run.id, "agt_1", Status.SUCCESS, 0, NOW)
    with pytest.raises(Conflict, match="is success, not running here"):
        s.log_store.append_logs("demo", run.id, "agt_1", 4, _lines(4, 1))


def test_read_logs_pages_after_a_cursor_with_the_current_state(s):
    s.execution_store.create(_run(1))
    queued = s.log_store.read_logs("demo", _run(1).id, 0, 10)
    assert queued.lines == [] and not queued.more and queued.execution.status is Status.QUEUED
    run = s.execution_store.claim_next("demo", "agt_1", NOW, LEASE)
    s.log_store.append_logs("demo", run.id, "agt_1", 1, _lines(1, 5))
    s.log_store.append_logs("demo", run.id, "agt_1", 6, _lines(6, 5))
    page = s.log_store.read_logs("demo", run.id, 3, 4)
    assert [ln.seq for ln in page.lines] == [4, 5, 6, 7] and page.more
    assert page.execution.status is Status.RUNNING and page.execution.log_next_seq == 11
    tail = s.log_store.read_logs("demo", run.id, 7, 100)
    assert [ln.seq for ln in tail.lines] == [8, 9, 10] and not tail.more
    assert tail.lines[0] == LogLine(8, NOW, Level.INFO, "line 8")
    exact = s.log_store.read_logs("demo", run.id, 5, 5)
    assert [ln.seq for ln in exact.lines] == [6, 7, 8, 9, 10] and not exact.more
    with pytest.raises(NotFound):
        s.log_store.read_logs("demo", _run(7).id, 0, 10)


# ---- idempotency ----


def _record(fp: str = "f", expires: datetime = LEASE) -> IdempotentRecord:
    return IdempotentRecord(fingerprint=fp, in_flight=True, expires=expires)


@on_all_three
def test_a_key_is_claimed_once_and_read_back_to_the_second(s):
    assert s.idempotency_store.get("k") is None
    assert s.idempotency_store.claim("k", _record(), None)
    assert not s.idempotency_store.claim("k", _record("g"), None)
    held = s.idempotency_store.get("k")
    assert held == replace(_record(), expires=LEASE.replace(microsecond=0))


@on_all_three
def test_a_held_record_is_replaced_only_if_unchanged(s):
    s.idempotency_store.claim("k", _record(), None)
    held = s.idempotency_store.get("k")
    newer = _record("g", expires=LEASE + timedelta(days=1))
    assert not s.idempotency_store.claim("k", newer, replace(held, fingerprint="x"))
    assert not s.idempotency_store.claim("k", newer, replace(held, expires=NOW))
    assert s.idempotency_store.claim("k", newer, held)
    assert not s.idempotency_store.claim("k", _record("h"), held)  # a second reclaimer loses
    assert s.idempotency_store.get("k").fingerprint == "g"
    assert not s.idempotency_store.claim("gone", newer, held)


def test_complete_keeps_the_answer_and_release_forgets_the_key(s):
    s.idempotency_store.claim("k", _record(), None)
    s.idempotency_store.complete("k", 201, '{"id": 1}')
    done = s.idempotency_store.get("k")
    assert (done.in_flight, done.status, done.body) == (False, 201, '{"id": 1}')
    s.idempotency_store.release("k")
    assert s.idempotency_store.get("k") is None
    s.idempotency_store.release("k")
    s.idempotency_store.complete("k", 200, "{}")  # gone: nothing, and no error
    assert s.idempotency_store.get("k") is None


# ---- agents ----


def _agent(n: int, tenant: str = "demo") -> Agent:
    return Agent(f"agt_{n:024d}", tenant, f"a{n}", NOW, f"tok_{n:024d}")


def test_agents_are_put_listed_per_tenant_and_deleted(s):
    for agent in (_agent(2), _agent(1), _agent(3, "acme")):
        s.agent_store.put_agent(agent)
    assert s.agent_store.get_agent("demo", _agent(1).id) == _agent(1)
    assert s.agent_store.get_agent("acme", _agent(1).id) is None
    assert [a.id for a in s.agent_store.list_agents("demo")] == [_agent(1).id, _agent(2).id]
    assert s.agent_store.delete_agent("demo", _agent(1).id)
    assert not s.agent_store.delete_agent("demo", _agent(1).id)
    assert [a.id for a in s.agent_store.list_agents("demo")] == [_agent(2).id]


def test_seen_is_written_when_the_run_changes_or_half_a_minute_passed(s):
    agent = _agent(1)
    s.agent_store.put_agent(agent)

    def seen() -> tuple[datetime | None, str | None]:
        a = s.agent_store.get_agent("demo", agent.id)
        return a.last_seen_at, a.current_execution

    s.agent_store.seen("demo", agent.id, NOW, None)
    assert seen() == (NOW, None)
    s.agent_store.seen("demo", agent.id, NOW + timedelta(seconds=10), None)
    assert seen() == (NOW, None)  # idle, soon after: not written
    s.agent_store.seen("demo", agent.id, NOW + timedelta(seconds=20), "exe_1")
    assert seen() == (NOW + timedelta(seconds=20), "exe_1")  # a new run: written at once
    s.agent_store.seen("demo", agent.id, NOW + timedelta(seconds=25), "exe_1")
    assert seen() == (NOW + timedelta(seconds=20), "exe_1")
    s.agent_store.seen("demo", agent.id, NOW + timedelta(seconds=51), "exe_1")
    assert seen() == (NOW + timedelta(seconds=51), "exe_1")  # over 30 s later: written
    s.agent_store.seen("demo", agent.id, NOW + timedelta(seconds=52), None)
    assert seen() == (NOW + timedelta(seconds=52), None)
    s.agent_store.seen("demo", "agt_nobody", NOW, None)  # never creates an agent
    assert s.agent_store.get_agent("demo", "agt_nobody") is None


# ---- governance (issue 13): members, policy, token ledger, audit log, notifications ----


def _event(n: int, type_: str = "token.deleted", tenant: str = "demo", **kw: object) -> Any:
    from sculptops.domain.governance import Actor, AuditEvent, AuditType
    from sculptops.domain.identity import CredentialKind, RequestOrigin

    return AuditEvent(
        id=f"evt_{n:024d}",
        tenant=tenant,
        type=AuditType(type_),
        at=NOW + timedelta(seconds=n),
        actor=Actor("admin@demo", "tok_1", CredentialKind.TOKEN),
        target_type="token",
        target_id=f"tok_{n}",
        target_user="member@demo",
        origin=RequestOrigin("203.0.113.9", "pytest", f"req-{n}"),
        details={"name": "x", "count": n, "flag": True, "none": None},
        **kw,  # type: ignore[arg-type]
    )


def _notice(n: int, user: str = "member@demo") -> Any:
    from sculptops.domain.governance import Notification

    return Notification(
        f"ntf_{n:024d}",
        user,
        "token.revoked_by_admin",
        NOW + timedelta(seconds=n),
        f"note {n}",
        token_id=f"tok_{n}",
        tenant="demo",
    )


def _token(n: int, owner: str = "member@demo") -> Any:
    from sculptops.domain.identity import CredentialKind
    from sculptops.domain.tokens import StoredToken

    return StoredToken(
        digest=f"digest-{n}",
        id=f"tok_{n:024d}",
        kind=CredentialKind.TOKEN,
        owner=owner,
        name=f"t{n}",
        created_at=NOW + timedelta(seconds=n),
        expires_at=NOW + timedelta(days=30),
        tenant="demo",
    )


def test_audit_events_read_back_newest_first_filtered_and_paged(s):
    from sculptops.domain.governance import AuditType

    events = [_event(i, "token.deleted" if i % 2 else "token.created") for i in range(1, 6)]
    s.audit_log.put(*events, _event(9, tenant="acme"))
    page = s.audit_log.list_events("demo", None, 2, None, None)
    assert page.events == [events[4], events[3]] and page.next_cursor == events[3].id
    rest = s.audit_log.list_events("demo", page.next_cursor, 10, None, None)
    assert rest.events == [events[2], events[1], events[0]] and rest.next_cursor is None
    deleted = s.audit_log.list_events("demo", None, 10, AuditType.TOKEN_DELETED, "admin@demo")
    assert deleted.events == [events[4], events[2], events[0]]
    assert s.audit_log.list_events("demo", None, 10, None, "nobody").events == []
    assert [e.tenant for e in s.audit_log.list_events("acme", None, 10, None, None).events] == [
        "acme"
    ]


@on_all_three
def test_notices_are_the_user_s_own_and_a_once_key_writes_once(s):
    s.notification_store.put(_notice(1))
    assert s.notification_store.put(_notice(2), once_key="tok_2#expiring")
    assert not s.notification_store.put(_notice(3), once_key="tok_2#expiring")
    assert s.notification_store.put(_notice(4, "admin@demo"), once_key="tok_2#expiring")
    page = s.notification_store.list_for_user("member@demo", None, 1)
    assert page.notifications == [_notice(2)] and page.next_cursor == _notice(2).id
    rest = s.notification_store.list_for_user("member@demo", page.next_cursor, 10)
    assert rest.notifications == [_notice(1)] and rest.next_cursor is None
    assert s.notification_store.list_for_user("admin@demo", None, 10).notifications == [
        _notice(4, "admin@demo")
    ]


@on_all_three
def test_a_member_change_is_one_write_with_its_event_and_a_stale_revision_conflicts(s):
    from sculptops.local import seed

    seed.seed_identity(s.identity_store)
    members, revision = s.members.list_members("demo")
    assert {m.user_id for m in members} == {"admin@demo", "member@demo", "viewer@demo"}
    before = s.identity_store.get_user("viewer@demo")
    after = replace(before, memberships={**before.memberships, "demo": Role.MEMBER})
    member = next(replace(m, role=Role.MEMBER) for m in members if m.user_id == "viewer@demo")
    s.members.change_member("demo", revision, before, after, member, _event(1))
    assert s.identity_store.get_user("viewer@demo").memberships["demo"] is Role.MEMBER
    members, next_revision = s.members.list_members("demo")
    assert next_revision == revision + 1
    assert {m.user_id: m.role for m in members}["viewer@demo"] is Role.MEMBER
    # The same change again from the stale read: Conflict, and neither it nor its event lands.
    with pytest.raises(Conflict):
        s.members.change_member("demo", revision, after, before, None, _event(2))
    assert s.identity_store.get_user("viewer@demo").memberships["demo"] is Role.MEMBER
    assert [e.id for e in s.audit_log.list_events("demo", None, 10, None, None).events] == [
        _event(1).id
    ]


@on_all_three
def test_a_policy_is_written_with_its_event_and_never_creates_a_tenant(s):
    from sculptops.domain.identity import TokenPolicy
    from sculptops.local import seed

    seed.seed_identity(s.identity_store)
    policy = TokenPolicy(admins_only=True, max_days=7, default_days=3)
    s.policy_store.set_policy("demo", policy, _event(1, "policy.changed"))
    assert s.identity_store.get_tenant("demo").token_policy == policy
    with pytest.raises(Conflict):
        s.policy_store.set_policy("nope", policy, _event(2, "policy.changed", tenant="nope"))
    assert s.identity_store.get_tenant("nope") is None
    assert s.audit_log.list_events("nope", None, 10, None, None).events == []


def test_the_ledger_creates_indexes_and_lists_tokens_newest_first(s):
    s.token_ledger.create(_token(1), ["demo", "acme"], _event(1, "token.created"))
    s.token_ledger.create(_token(2), ["demo"], _event(2, "token.created"))
    with pytest.raises(Conflict):
        s.token_ledger.create(_token(1), ["demo"], _event(3, "token.created"))
    assert s.token_store.get(_token(1).digest) == _token(1)
    page = s.token_ledger.tenant_tokens("demo", None, 1)
    assert page.tokens == [_token(2)] and page.next_cursor == _token(2).id
    assert s.token_ledger.tenant_tokens("demo", page.next_cursor, 5).tokens == [_token(1)]
    assert s.token_ledger.tenant_tokens("acme", None, 5).tokens == [_token(1)]
    assert s.token_ledger.tenant_token("acme", _token(2).id) is None
    assert s.token_ledger.tenant_token("demo", _token(2).id) == _token(2)
    types = [e.type.value for e in s.audit_log.list_events("demo", None, 10, None, None).events]
    assert types == ["token.created", "token.created"]
    # An owner's tokens leave a tenant's index with them, and come back when linked.
    s.token_ledger.unlink_user("demo", "member@demo")
    assert s.token_ledger.tenant_tokens("demo", None, 5).tokens == []
    s.token_ledger.link_tokens("demo", [_token(1)])
    assert s.token_ledger.tenant_tokens("demo", None, 5).tokens == [_token(1)]


@on_all_three
def test_the_ledger_revokes_with_events_and_notice_all_or_nothing(s):
    for n in (1, 2, 3):
        s.token_ledger.create(_token(n), ["demo"], _event(n, "token.created"))
    # One token with its event, its notice and its index entry: all in one write.
    revoked = _event(10, "token.revoked_by_admin")
    assert s.token_ledger.revoke([_token(1)], [revoked], _notice(10), unlink_from=["demo"])
    assert s.token_store.get(_token(1).digest) is None
    assert s.token_ledger.tenant_token("demo", _token(1).id) is None
    assert s.notification_store.list_for_user("member@demo", None, 5).notifications == [_notice(10)]
    # Gone already: False, and nothing of it is written (nor the other token deleted).
    assert not s.token_ledger.revoke([_token(2), _token(1)], [_event(11)], _notice(11))
    assert s.token_store.get(_token(2).digest) == _token(2)
    assert len(s.notification_store.list_for_user("member@demo", None, 5).notifications) == 1
    # Several tokens (a rotation family) and an event per tenant, no notice.
    events = [_event(12, "token.reuse_detected"), _event(13, "token.reuse_detected", "acme")]
    assert s.token_ledger.revoke([_token(2), _token(3)], events)
    assert s.token_store.get(_token(3).digest) is None
    logged = s.audit_log.list_events("demo", None, 3, None, None).events
    assert [e.id for e in logged] == [_event(12).id, revoked.id, _event(3).id]
    assert s.audit_log.list_events("acme", None, 3, None, None).events == [events[1]]
    with pytest.raises(ValueError):
        s.token_ledger.revoke([_token(n) for n in range(100)], [_event(1)])


@on_all_three
def test_revoke_all_moves_the_watermark_forward_only_and_always_records(s):
    from sculptops.local import seed

    seed.seed_identity(s.identity_store)
    later = NOW + timedelta(minutes=5)
    s.token_ledger.revoke_all("member@demo", later, _event(1, "token.revoked_all"))
    s.token_ledger.revoke_all("member@demo", NOW, _event(2, "token.revoked_all"))
    assert s.identity_store.get_user("member@demo").tokens_revoked_before == later
    logged = s.audit_log.list_events("demo", None, 10, None, None).events
    assert [e.id for e in logged] == [_event(2).id, _event(1).id]


# ---- tokens: a rotation's older overlap ----


@on_all_three
def test_an_overlap_is_shortened_only_while_the_same_rotation_holds_and_only_shorter(s):
    # Given a token rotated away (through the ledger) with an overlap ending in ten minutes
    first = StoredToken(
        digest="d" * 64,
        id="tok_" + "1" * 24,
        kind=CredentialKind.TOKEN,
        owner="member@demo",
        name="pipeline",
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
        tenant="demo",
    )
    s.token_store.put(first)
    new = replace(first, digest="e" * 64, id="tok_" + "2" * 24, family=first.id)
    old = superseded(first, new.id, NOW, 600)
    assert s.token_ledger.rotate(old, new, ["demo"], _event(1, "token.rotated"))
    # When its overlap is moved back to one minute: it is, once
    assert s.token_store.shorten_overlap(old, NOW + timedelta(minutes=1))
    assert s.token_store.get(old.digest).valid_until == NOW + timedelta(minutes=1)
    # Then never later again, nor for another rotation, nor for a token that is gone
    assert not s.token_store.shorten_overlap(old, NOW + timedelta(minutes=5))
    other = replace(old, superseded_by="tok_" + "3" * 24)
    assert not s.token_store.shorten_overlap(other, NOW)
    s.token_store.delete(old)
    assert not s.token_store.shorten_overlap(old, NOW)
    assert s.token_store.get(old.digest) is None
