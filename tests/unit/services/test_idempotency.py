"""IdempotencyService on fakes: one outcome per key and body, replayed; 409 and 422 otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sculptops.domain.errors import Conflict, InvalidInput
from sculptops.domain.idempotency import KEY_TTL
from sculptops.services.idempotency import fingerprint


def _counting():
    calls = []

    def action():
        calls.append(1)
        return 201, f'{{"n": {len(calls)}}}'

    return calls, action


def test_the_same_key_and_body_runs_once_and_replays_the_first_answer(c, member):
    calls, action = _counting()
    first = c.idempotency.run(member, "k1", "create_execution", {"a": 1}, action)
    again = c.idempotency.run(member, "k1", "create_execution", {"a": 1}, action)
    assert (first.status, first.body, first.replayed) == (201, '{"n": 1}', False)
    assert (again.status, again.body, again.replayed) == (201, '{"n": 1}', True)
    assert len(calls) == 1


def test_the_same_key_with_another_body_is_422(c, member):
    _, action = _counting()
    c.idempotency.run(member, "k1", "op", {"a": 1}, action)
    with pytest.raises(InvalidInput) as raised:
        c.idempotency.run(member, "k1", "op", {"a": 2}, action)
    assert raised.value.field == "Idempotency-Key"


def test_a_key_in_flight_is_409(c, member):
    # Given a first request still running (its action asks again with the same key)
    inner: list[Exception] = []

    def action():
        try:
            c.idempotency.run(member, "k1", "op", {}, lambda: (200, "{}"))
        except Conflict as exc:
            inner.append(exc)
        return 200, "{}"

    c.idempotency.run(member, "k1", "op", {}, action)
    assert len(inner) == 1 and "still in progress" in inner[0].message


def test_a_failed_first_request_releases_the_key(c, member):
    def boom():
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        c.idempotency.run(member, "k1", "op", {}, boom)
    calls, action = _counting()
    assert not c.idempotency.run(member, "k1", "op", {}, action).replayed
    assert len(calls) == 1


def test_keys_expire_after_a_day_whatever_they_held(c, member):
    _, action = _counting()
    c.idempotency.run(member, "k1", "op", {"a": 1}, action)
    c.clock.advance(seconds=KEY_TTL.total_seconds() - 1)
    assert c.idempotency.run(member, "k1", "op", {"a": 1}, action).replayed
    # When the day is over, even another body may use the key, and runs
    c.clock.advance(seconds=2)
    fresh = c.idempotency.run(member, "k1", "op", {"a": 2}, action)
    assert not fresh.replayed and fresh.body == '{"n": 2}'
    assert c.idempotency.run(member, "k1", "op", {"a": 2}, action).replayed


def test_keys_are_scoped_per_user_tenant_and_operation(c, member, admin):
    calls, action = _counting()
    c.idempotency.run(member, "k1", "op", {}, action)
    c.idempotency.run(admin, "k1", "op", {}, action)
    c.idempotency.run(member, "k1", "other", {}, action)
    assert len(calls) == 3


def test_a_bad_key_is_422(c, member):
    with pytest.raises(InvalidInput) as raised:
        c.idempotency.run(member, "has space", "op", {}, lambda: (200, "{}"))
    assert raised.value.field == "Idempotency-Key"


def test_the_fingerprint_ignores_key_order_only():
    assert fingerprint("op", {"a": 1, "b": 2}) == fingerprint("op", {"b": 2, "a": 1})
    assert fingerprint("op", {"a": 1}) != fingerprint("other", {"a": 1})
    assert timedelta(hours=24) == KEY_TTL
