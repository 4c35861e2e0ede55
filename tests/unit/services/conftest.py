"""Services on fakes of every port (tests/fakes.py): fast, no moto, no sockets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sculptops.bootstrap import Container, build
from sculptops.domain.identity import Caller
from sculptops.local import seed
from tests.conftest import SETTINGS, session
from tests.fakes import FakeClock, FakeIdentityStore, FakeJwtVerifier, fake_stores


@pytest.fixture
def c() -> Iterator[Container]:
    """Given the demo tenants, users, playbook `ping` and inventory `local`, all in fakes."""
    identities = FakeIdentityStore()
    seed.seed_identity(identities)
    container = build(
        SETTINGS,
        **fake_stores(identity_store=identities),
        clock=FakeClock(),
        jwt_verifier=FakeJwtVerifier(),
    )
    seed.seed_catalog(container.catalog_store)
    yield container


@pytest.fixture
def admin(c: Container) -> Caller:
    return session(c, "admin@demo")


@pytest.fixture
def member(c: Container) -> Caller:
    return session(c, "member@demo")


@pytest.fixture
def viewer(c: Container) -> Caller:
    return session(c, "viewer@demo")


@pytest.fixture
def agent(c: Container, admin: Caller) -> Caller:
    """An agent of tenant demo, acting through its own token."""
    token = c.agents.register(admin, "runner").token
    return c.authenticator.act_in(c.authenticator.authenticate(token), "demo")


# ---- governance (issue 13): members, token policy, admins' tokens, audit log, notices ----


@pytest.fixture
def gov() -> Iterator[tuple[Container, FakeClock]]:
    """Given the demo tenants and users in fakes, with the clock to move (the container's
    `audit_log` and `notification_store` are the fakes FakeAuditLog, FakeNotificationStore)."""
    identities = FakeIdentityStore()
    seed.seed_identity(identities)
    clock = FakeClock()
    container = build(
        SETTINGS,
        **fake_stores(identity_store=identities),
        clock=clock,
        jwt_verifier=FakeJwtVerifier(),
    )
    yield container, clock
