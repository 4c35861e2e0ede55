"""The domain's rules for runs, logs and idempotency keys, alone: no store, no service."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sculptops.domain.errors import Conflict, InvalidInput
from sculptops.domain.executions import (
    TRANSITIONS,
    Execution,
    Status,
    Step,
    allowed_from,
    cancel_step,
    check_deletable,
    check_target,
    lease_expired,
    may,
    status_for_exit,
    target,
)
from sculptops.domain.idempotency import IdempotentRecord, Verdict, verdict
from sculptops.domain.logs import after_refused_batch

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
RUN = Execution(
    id="exe_1",
    tenant="demo",
    status=Status.QUEUED,
    playbook_id="pb_1",
    inventory_id="inv_1",
    created_at=NOW,
    triggered_by="member@demo",
    credential_kind="jwt",
)
RUNNING = replace(
    RUN, status=Status.RUNNING, agent_id="agt_1", lease_expires_at=NOW, log_next_seq=4
)
TERMINAL = [Status.SUCCESS, Status.FAILED, Status.CANCELLED, Status.UNREADABLE]


@pytest.mark.parametrize(
    ("code", "cancel_requested", "status"),
    [
        (0, False, Status.SUCCESS),
        (1, False, Status.FAILED),
        (2, False, Status.FAILED),
        (4, False, Status.FAILED),
        (-15, False, Status.FAILED),
        (0, True, Status.CANCELLED),
        (-15, True, Status.CANCELLED),
    ],
)
def test_status_for_exit(code, cancel_requested, status):
    assert status_for_exit(code, cancel_requested) is status


def test_the_table_is_the_documented_status_machine():
    # queued -> running | cancelled; running -> success | failed | cancelled; nothing after
    edges = {(f, t) for rule in TRANSITIONS.values() for f in rule.allowed_from for t in rule.to}
    assert edges == {
        (Status.QUEUED, Status.RUNNING),
        (Status.QUEUED, Status.CANCELLED),
        (Status.RUNNING, Status.RUNNING),
        (Status.RUNNING, Status.SUCCESS),
        (Status.RUNNING, Status.FAILED),
        (Status.RUNNING, Status.CANCELLED),
    }
    for status in TERMINAL:
        assert all(status not in allowed_from(step) for step in Step)


def test_holder_steps_need_the_holding_agent():
    for step in (Step.HEARTBEAT, Step.APPEND_LOGS, Step.FINISH):
        assert may(step, RUNNING, "agt_1")
        assert not may(step, RUNNING, "agt_2") and not may(step, RUNNING)
        assert not may(step, RUN, "agt_1")
    assert may(Step.REQUEST_CANCEL, RUNNING) and may(Step.CLAIM, RUN)


def test_a_step_leads_only_to_its_targets():
    assert target(Step.CLAIM) is Status.RUNNING and target(Step.CANCEL) is Status.CANCELLED
    assert target(Step.EXPIRE) is Status.FAILED
    with pytest.raises(ValueError):
        target(Step.FINISH)  # three targets: the exit code decides (status_for_exit)
    assert check_target(Step.FINISH, Status.CANCELLED) is Status.CANCELLED
    with pytest.raises(ValueError, match="finish cannot lead to queued"):
        check_target(Step.FINISH, Status.QUEUED)
    with pytest.raises(ValueError):
        check_target(Step.EXPIRE, Status.SUCCESS)


def test_cancel_ends_a_queued_run_asks_a_running_one_and_refuses_a_finished_one():
    assert cancel_step(RUN) is Step.CANCEL
    assert cancel_step(RUNNING) is Step.REQUEST_CANCEL
    for status in TERMINAL:
        with pytest.raises(Conflict, match=f"already {status.value}"):
            cancel_step(replace(RUN, status=status))


def test_only_a_finished_run_is_deletable():
    for status in TERMINAL:
        check_deletable(replace(RUN, status=status))
    for live in (RUN, RUNNING):
        with pytest.raises(Conflict, match="cancel it first"):
            check_deletable(live)


def test_a_lease_expires_strictly_after_its_end_and_only_while_running():
    assert lease_expired(RUNNING, NOW + timedelta(microseconds=1))
    assert not lease_expired(RUNNING, NOW)
    assert not lease_expired(replace(RUNNING, status=Status.SUCCESS), NOW + timedelta(hours=1))
    assert not lease_expired(replace(RUNNING, lease_expires_at=None), NOW + timedelta(hours=1))
    assert not lease_expired(None, NOW)


def test_a_refused_batch_is_a_resend_or_a_conflict():
    # lines 1-3 stored (next 4): a resend of 2-3 by the holder returns 4
    assert after_refused_batch(RUNNING, "agt_1", 2, 2) == 4
    # a finished run still answers a late resend of its holder
    assert after_refused_batch(replace(RUNNING, status=Status.SUCCESS), "agt_1", 1, 3) == 4
    with pytest.raises(Conflict, match="expected first_seq 4, got 6"):
        after_refused_batch(RUNNING, "agt_1", 6, 1)
    with pytest.raises(Conflict, match="expected first_seq 4, got 3"):
        after_refused_batch(RUNNING, "agt_1", 3, 2)  # overlaps: 3 stored, 4 not
    with pytest.raises(Conflict, match="not running here"):
        after_refused_batch(RUNNING, "agt_2", 4, 1)
    with pytest.raises(Conflict, match="is success, not running here"):
        after_refused_batch(replace(RUNNING, status=Status.SUCCESS), "agt_1", 4, 1)


def _record(fp="f", in_flight=False, expires=NOW + timedelta(hours=1), status=201, body="{}"):
    return IdempotentRecord(fp, in_flight, expires, status, body)


def test_idempotency_verdicts():
    assert verdict(None, "f", NOW) is Verdict.CLAIM
    assert verdict(_record(), "f", NOW) is Verdict.REPLAY
    with pytest.raises(InvalidInput, match="different request body"):
        verdict(_record(), "g", NOW)
    with pytest.raises(Conflict, match="still in progress"):
        verdict(_record(in_flight=True, status=None, body=None), "f", NOW)
    # Expired, whatever it held: free again. Expiry is to the second, as stored.
    assert verdict(_record(fp="g", expires=NOW - timedelta(seconds=1)), "f", NOW) is Verdict.CLAIM
    held = _record(in_flight=True, expires=NOW, status=None, body=None)
    with pytest.raises(Conflict):
        verdict(held, "f", NOW + timedelta(milliseconds=999))
    assert verdict(held, "f", NOW + timedelta(seconds=1)) is Verdict.CLAIM
