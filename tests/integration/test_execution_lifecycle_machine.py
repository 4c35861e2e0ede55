"""Property: a terminal status is written exactly once and never changes.

On the real adapters (moto), and on the fakes of tests/fakes.py, which must keep the same promise.
"""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from moto import mock_aws

from sculptops.bootstrap import Container, build
from sculptops.domain.errors import Conflict, NotFound
from sculptops.domain.executions import Status
from sculptops.local import seed
from sculptops.local.tables import create_tables
from sculptops.services.executions import NewExecution
from tests.budget import budget
from tests.conftest import SETTINGS, session
from tests.fakes import FakeClock, FakeJwtVerifier, fake_stores
from tests.integration.conftest import _settings

pytestmark = pytest.mark.slow

ALLOWED = {
    Status.QUEUED: {Status.QUEUED, Status.RUNNING, Status.CANCELLED},
    Status.RUNNING: {Status.RUNNING, Status.SUCCESS, Status.FAILED, Status.CANCELLED},
}


class ExecutionLifecycle(RuleBasedStateMachine):
    runs = Bundle("runs")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.c = self.container()
        seed.seed_identity(self.c.identity_store)
        seed.seed_catalog(self.c.catalog_store)
        admin = session(self.c, "admin@demo", "demo")
        token = self.c.agents.register(admin, "a").token
        self.agent = self.c.authenticator.act_in(self.c.authenticator.authenticate(token), "demo")
        self.member = session(self.c, "member@demo")
        self.seen: dict[str, Status] = {}
        self.terminal_writes: dict[str, int] = {}

    def container(self) -> Container:
        self.mock = mock_aws()
        self.mock.start()
        settings_ = _settings(None)
        create_tables(settings_)
        return build(settings_, clock=self.clock, jwt_verifier=FakeJwtVerifier())

    def teardown(self) -> None:
        self.mock.stop()

    @rule(target=runs)
    def trigger(self) -> str:
        e = self.c.executions.trigger(
            self.member, NewExecution(seed.PING_ID, seed.LOCAL_ID, {}, [], None)
        )
        self.seen[e.id] = e.status
        return e.id

    @rule()
    def claim(self) -> None:
        self.c.agents.claim(self.agent)

    @rule(run=runs)
    def heartbeat(self, run: str) -> None:
        try:
            self.c.agents.heartbeat(self.agent, run)
        except (Conflict, NotFound):
            pass

    @rule(run=runs, code=st.sampled_from([0, 1, 2, -15]))
    def finish(self, run: str, code: int) -> None:
        try:
            self.c.agents.finish(self.agent, run, code)
            self.terminal_writes[run] = self.terminal_writes.get(run, 0) + 1
        except Conflict:
            pass

    @rule(run=runs)
    def cancel(self, run: str) -> None:
        try:
            e = self.c.executions.cancel(self.member, run)
            if e.status is Status.CANCELLED:
                self.terminal_writes[run] = self.terminal_writes.get(run, 0) + 1
        except Conflict:
            pass

    @rule()
    def lease_expires(self) -> None:
        self.clock.advance(seconds=61)
        failed = self.c.agents.sweep()
        assert failed >= 0

    @invariant()
    def terminal_once_and_for_all(self) -> None:
        for run, before in self.seen.items():
            now = self.c.executions.get(self.member, run).status
            if before.terminal:
                assert now is before, f"{run}: {before} -> {now}"
            else:
                assert now in ALLOWED[before], f"{run}: {before} -> {now}"
            self.seen[run] = now
        for run, writes in self.terminal_writes.items():
            assert writes <= 1, f"{run} written terminal {writes} times"


ExecutionLifecycle.TestCase.settings = settings(
    max_examples=budget(4, 10),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_execution_lifecycle = ExecutionLifecycle.TestCase


class ExecutionLifecycleOnFakes(ExecutionLifecycle):
    def container(self) -> Container:
        return build(SETTINGS, **fake_stores(), clock=self.clock, jwt_verifier=FakeJwtVerifier())

    def teardown(self) -> None:
        pass


ExecutionLifecycleOnFakes.TestCase.settings = settings(
    max_examples=budget(30, 100), stateful_step_count=20, deadline=None
)
test_execution_lifecycle_on_fakes = ExecutionLifecycleOnFakes.TestCase
