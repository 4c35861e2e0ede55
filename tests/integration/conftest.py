"""Stores on a real DynamoDB API: moto in-process by default, DynamoDB Local with the marker.

Tables come from infra/tables.yml, as everywhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto import mock_aws
from starlette.testclient import TestClient

from sculptops.bootstrap import Container, build, container
from sculptops.local import seed
from sculptops.local.dynamodb import DynamoDBLocalBackend, dynamodb_local_available
from sculptops.local.gateway import build_gateway
from sculptops.local.tables import create_tables
from sculptops.settings import Settings
from tests.fakes import FakeClock, FakeJwtVerifier


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    if not dynamodb_local_available():
        pytest.skip("DynamoDB Local needs Java and `npm ci`")
    backend = DynamoDBLocalBackend()
    yield backend.endpoint
    backend.stop()


def _settings(endpoint: str | None) -> Settings:
    suffix = secrets.token_hex(4)
    return Settings(
        dynamodb_endpoint=endpoint,
        tokens_table=f"t-{suffix}-tokens",
        identity_table=f"t-{suffix}-identity",
        catalog_table=f"t-{suffix}-catalog",
        executions_table=f"t-{suffix}-executions",
        idempotency_table=f"t-{suffix}-idempotency",
        token_pepper=b"integration-pepper-0123",
        dynamodb_max_retries=0,
    )


# Moto is the default backend. DynamoDB Local (a JVM: slower per request, and the suite's
# budget is five minutes) also runs the tests whose subject is what moto may get wrong: a
# conditional write, a transaction, a write that must happen once. Races use `real_race`.
MOTO_AND_DYNAMODB_LOCAL = [
    pytest.param("moto"),
    pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local),
]
on_dynamodb_local_too = pytest.mark.parametrize("backend", MOTO_AND_DYNAMODB_LOCAL, indirect=True)


@pytest.fixture(params=["moto"])
def backend(request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings pointing at fresh tables on moto, or on DynamoDB Local for a test marked
    `@on_dynamodb_local_too`."""
    if request.param == "moto":
        with mock_aws():
            settings = _settings(None)
            create_tables(settings)
            yield settings
    else:
        settings = _settings(request.getfixturevalue("dynamodb_local"))
        create_tables(settings)
        yield settings


@pytest.fixture
def real(backend: Settings) -> Container:
    """Real services over the DynamoDB adapters, seeded, with a controllable clock."""
    c = build(backend, clock=FakeClock(), jwt_verifier=FakeJwtVerifier())
    seed.seed_identity(c.identity_store)
    seed.seed_catalog(c.catalog_store)
    return c


@pytest.fixture(params=[pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def real_race(request: pytest.FixtureRequest) -> Container:
    """For races: DynamoDB Local only. Moto's in-process backend does not serialise
    concurrent conditional writes (two of fifty racing claims both won there), so a race
    test on moto would test moto, not us."""
    settings = _settings(request.getfixturevalue("dynamodb_local"))
    create_tables(settings)
    c = build(settings, clock=FakeClock(), jwt_verifier=FakeJwtVerifier())
    seed.seed_identity(c.identity_store)
    seed.seed_catalog(c.catalog_store)
    return c


@contextmanager
def moto_gateway(stage: str, *, catalog: bool = True) -> Iterator[TestClient]:
    """The local gateway's ASGI app over moto tables (no sockets), seeded like the local stack.

    The process-wide container is rebuilt from this stage's settings, and dropped afterwards.
    """
    with mock_aws(), pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCULPTOPS_STAGE", stage)
        mp.setenv("SCULPTOPS_TOKEN_PEPPER", f"{stage}-pepper-0123456789")
        mp.setenv("SCULPTOPS_DYNAMODB_MAX_RETRIES", "0")
        # Leaked-token batches go to the worker thread, as on the local stack (no Lambda here).
        mp.setenv("SCULPTOPS_LEAK_WORKER", "thread")
        mp.delenv("SCULPTOPS_OIDC_ISSUER", raising=False)
        container.cache_clear()
        c = container()
        create_tables(c.settings)
        seed.seed_identity(c.identity_store)
        if catalog:
            seed.seed_catalog(c.catalog_store)
        with TestClient(build_gateway(None).asgi(), base_url="http://127.0.0.1") as client:
            yield client
        container.cache_clear()
