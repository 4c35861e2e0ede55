"""Rotation, reuse detection and last use on the DynamoDB adapters (moto and DynamoDB Local);
the races on DynamoDB Local only (moto does not serialise concurrent conditional writes)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from sculptops.domain.errors import Conflict, NotAuthenticated
from sculptops.domain.governance import AuditType, new_event
from sculptops.domain.identity import RequestOrigin
from sculptops.domain.rotation import superseded
from sculptops.services.rotation import Rotation
from sculptops.services.tokens import NewToken
from tests.conftest import session
from tests.integration.conftest import on_dynamodb_local_too


def _works(c, value, ip="192.0.2.7") -> bool:
    try:
        c.authenticator.authenticate(value, RequestOrigin(source_ip=ip))
    except NotAuthenticated:
        return False
    return True


@on_dynamodb_local_too
def test_rotation_then_reuse_on_dynamodb(real) -> None:
    # Given a token rotated with a 5 s overlap
    jwt = session(real, "admin@demo")
    old = real.tokens.create(jwt, NewToken(name="ci", expires_in_days=30))
    rotated = real.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=5))
    stored_old = real.token_store.get(old.token.digest)
    assert stored_old.superseded_by == rotated.token.id
    assert stored_old.family == old.token.id
    assert stored_old.valid_until == rotated.old.valid_until
    assert real.token_store.get(rotated.token.digest).family == old.token.id
    # Then both work within the overlap, and a second rotation of the old one is refused
    real.clock.advance(seconds=4)
    assert _works(real, old.value) and _works(real, rotated.value)
    try:
        real.tokens.rotate(jwt, old.token.id, Rotation())
        raise AssertionError("rotated twice")
    except Conflict:
        pass
    # When the old one is presented after the overlap
    real.clock.advance(seconds=2)
    assert not _works(real, old.value)
    # Then the family is gone, with its audit event and the owner's notice
    assert real.token_store.get(rotated.token.digest) is None
    assert real.token_store.get(old.token.digest) is None
    page = real.audit_log.list_events("demo", None, 10, AuditType.TOKEN_REUSE_DETECTED, None)
    assert [e.details["count"] for e in page.events] == [2, 2]  # one event per revoked token
    assert page.events[0].origin.source_ip == "192.0.2.7"
    notes = real.notification_store.list_for_user("admin@demo", None, 10).notifications
    assert [n.type for n in notes] == ["token.reuse_detected"]
    rotations = real.audit_log.list_events("demo", None, 10, AuditType.TOKEN_ROTATED, None)
    assert [e.target_id for e in rotations.events] == [old.token.id]


@on_dynamodb_local_too
def test_the_ledger_rotates_a_token_once_even_over_a_stale_read(real) -> None:
    # Given two rotations that both read the token before either wrote
    jwt = session(real, "admin@demo")
    old = real.tokens.create(jwt, NewToken(name="ci"))
    now = real.clock.now()
    first, second = (
        replace(old.token, digest=f"d{i}" * 32, id=f"tok_new{i}", family=old.token.id)
        for i in (1, 2)
    )
    event = new_event(jwt, now, AuditType.TOKEN_ROTATED, "token", target_id=old.token.id)
    # When both write, the second over its stale read
    assert real.token_ledger.rotate(superseded(old.token, first.id, now, 0), first, [], event)
    assert not real.token_ledger.rotate(superseded(old.token, second.id, now, 0), second, [], event)
    # Then only the first took effect, and the second wrote nothing
    assert real.token_store.get(old.token.digest).superseded_by == first.id
    assert real.token_store.get(second.digest) is None


@on_dynamodb_local_too
def test_last_use_is_conditional_on_the_value_read(real) -> None:
    jwt = session(real, "admin@demo")
    made = real.tokens.create(jwt, NewToken(name="use"))
    read = real.token_store.get(made.token.digest)
    now = real.clock.now()
    assert real.token_store.record_use(read, now, ("198.51.100.1",))
    # A second write over the same (now stale) read loses
    assert not real.token_store.record_use(read, now, ("198.51.100.2",))
    after = real.token_store.get(made.token.digest)
    assert after.last_used_at == now and after.last_used_ips == ("198.51.100.1",)
    # Over the fresh read it wins
    assert real.token_store.record_use(after, now, ("198.51.100.2", "198.51.100.1"))
    listed = real.tokens.list(jwt, None, 10).tokens
    assert listed[0].last_used_ips == ("198.51.100.2", "198.51.100.1")


def test_two_concurrent_rotations_of_one_token_never_both_win(real_race) -> None:
    real = real_race
    jwt = session(real, "admin@demo")
    old = real.tokens.create(jwt, NewToken(name="ci"))
    barrier = threading.Barrier(8)

    def rotate(_: int) -> str:
        barrier.wait()
        try:
            return real.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=60)).token.id
        except Conflict:
            return "409"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(rotate, range(8)))
    winners = [a for a in answers if a != "409"]
    assert len(winners) == 1
    family = [
        t
        for t in real.token_store.list_for_owner("admin@demo", None, 100).tokens
        if t.family_id == old.token.id
    ]
    assert sorted(t.id for t in family) == sorted([old.token.id, winners[0]])
    assert real.token_store.get(old.token.digest).superseded_by == winners[0]


def test_two_racing_uses_from_two_addresses_lose_neither(real_race) -> None:
    # Given two requests from two addresses that both read the token before either writes
    real = real_race
    jwt = session(real, "admin@demo")
    store = real.token_store
    get = store.get
    for attempt in range(5):
        made = real.tokens.create(jwt, NewToken(name=f"race{attempt}"))
        both_read = threading.Barrier(2)
        first_reads = threading.local()

        def get_then_wait(digest: str, gate: threading.Barrier = both_read) -> object:
            found = get(digest)
            if not getattr(first_reads, "done", False):
                first_reads.done = True
                gate.wait(timeout=10)
            return found

        store.get = get_then_wait  # type: ignore[method-assign]

        def use(ip: str, value: str = made.value) -> None:
            first_reads.done = False
            real.authenticator.authenticate(value, RequestOrigin(source_ip=ip))

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(use, ["203.0.113.1", "203.0.113.2"]))
        store.get = get  # type: ignore[method-assign]
        # When both record their use at once, Then neither address is lost
        ips = store.get(made.token.digest).last_used_ips
        assert sorted(ips) == ["203.0.113.1", "203.0.113.2"], ips


def test_authentication_reads_three_items_and_writes_at_most_once_a_minute_per_token() -> None:
    # Given 240 authorized requests over 2 simulated minutes, 2 tokens, 5 source IPs (moto),
    # authenticated as the route functions do (the authorizer's own path, with the token and
    # the tenant in one BatchGetItem, is counted in test_authorizer_reads.py)
    from tests.bench.last_use import measure

    result = measure(240, 120.0, 2)
    # Then each request reads the token, the user and the tenant by key, and no more
    assert result["calls"]["GetItem"] == 3 * 240
    assert result["reads_per_request"] == 3.0
    # And last use is written at most once per token per started minute: ~2% of requests
    assert 0 < result["writing"] <= result["bound"] == 2 * 3
    assert set(result["calls"]) == {"GetItem", "UpdateItem"}
