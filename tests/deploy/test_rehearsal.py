"""A rehearsal deploy of serverless.yml into a moto server on 127.0.0.1 (`make deploy-local`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sculptops.local.dynamodb import MotoBackend
from sculptops.local.rehearsal import Rehearsal, deploy
from tests.deploy.conftest import REPORT, osls_lock

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rehearsal() -> Iterator[Rehearsal]:
    backend = MotoBackend()
    try:
        with osls_lock():
            done = deploy(backend)
        yield done
    finally:
        backend.stop()


def test_tables_exist_with_their_keys_and_indexes(rehearsal: Rehearsal) -> None:
    t = rehearsal.tables
    assert set(t) == {
        f"sculptops-local-{n}"
        for n in ("tokens", "identity", "catalog", "executions", "idempotency")
    }
    assert t["sculptops-local-tokens"]["keys"] == {"digest": "HASH"}
    assert t["sculptops-local-tokens"]["indexes"] == ["by_expiry", "by_owner"]
    assert t["sculptops-local-executions"]["keys"] == {"pk": "HASH", "sk": "RANGE"}
    assert t["sculptops-local-executions"]["indexes"] == ["by_tenant", "leases", "queued"]
    REPORT["rehearsal deploy"] = f"{rehearsal.seconds:.0f}s into moto"


def test_ttl_is_declared_though_moto_skips_applying_it(rehearsal: Rehearsal) -> None:
    # Moto's CloudFormation does not apply TimeToLiveSpecification (DESIGN.md §5): the deployed
    # template carries it, and the live table reports DISABLED.
    resources = rehearsal.template["Resources"]
    assert resources["TokensTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_ttl",
        "Enabled": True,
    }
    assert resources["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"]["Enabled"]
    assert rehearsal.tables["sculptops-local-tokens"]["ttl"] in ("DISABLED", "ENABLED")


def test_functions_roles_and_the_api_exist(rehearsal: Rehearsal) -> None:
    assert rehearsal.functions == sorted(
        f"sculptops-local-{f}"
        for f in (
            "authorizer",
            "identity",
            "tokens",
            "catalog",
            "executions",
            "agents",
            "governance",
            "credentials",
            "leaks",
            "notices",
            "sweeper",
        )
    )
    assert len([r for r in rehearsal.roles if r.startswith("sculptops-local-")]) == 11
    assert rehearsal.apis == ["local-sculptops"]
