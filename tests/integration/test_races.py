"""Races on DynamoDB Local (moto does not serialise concurrent conditional writes)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sculptops.adapters.clock import SystemClock
from sculptops.bootstrap import build
from sculptops.domain.errors import Conflict, NotAuthenticated
from sculptops.local.seed import LOCAL_ID, PING_ID
from sculptops.services.executions import NewExecution
from sculptops.services.tokens import NewToken
from tests.conftest import session


def test_the_same_idempotency_key_twenty_times_at_once_makes_one_execution(real_race) -> None:
    real = real_race
    member = session(real, "member@demo")
    request = NewExecution(PING_ID, LOCAL_ID, {}, [], None)
    barrier = threading.Barrier(20)

    def send(_: int) -> str:
        barrier.wait()
        try:
            outcome = real.idempotency.run(
                member,
                "deploy-42",
                "create_execution",
                {"p": PING_ID},
                lambda: (201, real.executions.trigger(member, request).id),
            )
            return outcome.body
        except Conflict:
            return "409"

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    created = real.executions.list_executions(member, None, None, None, 50).executions
    assert len(created) == 1
    assert {a for a in answers if a != "409"} == {created[0].id}


def test_revoke_all_while_tokens_are_created_and_used(real_race) -> None:
    # A real clock: the watermark is compared with creation times.
    real = build(real_race.settings, clock=SystemClock())
    admin = session(real, "admin@demo")
    before = [real.tokens.create(admin, NewToken(name=f"b{i}")).value for i in range(30)]
    stop = threading.Event()
    created_during: list[str] = []
    errors: list[Exception] = []

    def churn() -> None:
        i = 0
        while not stop.is_set() and i < 200:
            try:
                created_during.append(real.tokens.create(admin, NewToken(name=f"d{i}")).value)
                real.authenticator.authenticate(before[i % len(before)])
            except NotAuthenticated:
                pass
            except Exception as exc:
                errors.append(exc)
            i += 1

    workers = [threading.Thread(target=churn) for _ in range(4)]
    for w in workers:
        w.start()
    real.tokens.revoke_all(admin)
    stop.set()
    for w in workers:
        w.join(timeout=60)
    assert not errors
    for value in before:
        try:
            real.authenticator.authenticate(value)
            raise AssertionError("a token created before revoke-all still works")
        except NotAuthenticated:
            pass
    after = real.tokens.create(admin, NewToken(name="after")).value
    assert real.authenticator.authenticate(after).subject == "admin@demo"
