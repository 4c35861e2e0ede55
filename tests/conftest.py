"""Shared fixtures: a container wired to in-memory fakes, seeded like the local stack."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

from sculptops.bootstrap import Container, build
from sculptops.domain.identity import ACTIVE, Caller, CredentialKind, Principal
from sculptops.local import seed
from sculptops.observability import RedactingFilter
from sculptops.settings import Settings
from tests import botocore_cache
from tests.fakes import FakeClock, FakeIdentityStore, FakeJwtVerifier, fake_stores
from tests.stack import Stack, start_stack, stop_stack

# Never reach a real AWS account from the tests.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
botocore_cache.install()

SETTINGS = Settings(token_pepper=b"test-pepper-0123456789")


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Each test leaves the root logger as it found it.

    `observability.configure` (run by `container()`, which in-process gateway tests build) puts
    a RedactingFilter on every handler of the root logger, pytest's own capture handlers among
    them, and those live as long as the worker: a later test asserting `secret not in
    caplog.text` would pass however the code logged it. A test that wants redaction configures
    it itself.
    """
    root = logging.getLogger()
    level = root.level
    yield
    for handler in root.handlers:
        for f in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(f)
    root.setLevel(level)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake() -> Iterator[Container]:
    """A container of real services over fake stores, with the demo tenants and users."""
    identities = FakeIdentityStore()
    seed.seed_identity(identities)
    yield build(
        SETTINGS,
        **fake_stores(identity_store=identities),
        clock=FakeClock(),
        jwt_verifier=FakeJwtVerifier(),
    )


def session(c: Container, user_id: str, tenant: str = ACTIVE) -> Caller:
    """A caller signed in with a JWT (as the authorizer would resolve it)."""
    user = c.identity_store.get_user(user_id)
    assert user is not None
    return c.authenticator.act_in(Principal(CredentialKind.JWT, user_id, user), tenant)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local stack (`sculptops serve`) over HTTP, shared by e2e, security and browser tests."""
    s = start_stack(tmp_path_factory.mktemp("stack"))
    yield s
    stop_stack(s)


_BROWSER_RESULTS: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember each browser test's outcome (reports reach the controller under xdist too)."""
    if report.nodeid.startswith("tests/browser/") and (
        report.when == "call" or (report.when == "setup" and not report.passed)
    ):
        _BROWSER_RESULTS.append((report.nodeid, report.outcome))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Name every browser test and its outcome, so a run shows that Chromium really ran them."""
    if _BROWSER_RESULTS:
        terminalreporter.section("browser tests (Chromium)")
        for nodeid, outcome in sorted(_BROWSER_RESULTS):
            terminalreporter.write_line(f"{outcome.upper():8} {nodeid}")
