"""The composition root: every store given, or none; never a mix."""

from __future__ import annotations

import pytest

from sculptops.bootstrap import Stores, build
from tests.conftest import SETTINGS
from tests.fakes import FakeClock, FakeTokenStore, fake_stores


def test_some_stores_but_not_all_is_a_type_error_naming_the_missing_ones():
    with pytest.raises(TypeError) as raised:
        build(SETTINGS, token_store=FakeTokenStore(), clock=FakeClock())
    message = str(raised.value)
    for name in ("identity_store", "catalog_store", "log_store", "idempotency_store"):
        assert name in message
    assert "token_store" not in message


def test_every_store_given_wires_each_one_and_builds_no_real_one():
    stores = fake_stores()
    c = build(SETTINGS, **stores, clock=FakeClock())
    assert c.token_store is stores["token_store"] and c.log_store is stores["log_store"]
    assert c.execution_store is stores["execution_store"]
    assert c.executions._logs is stores["log_store"] and c.agents._logs is stores["log_store"]
    assert set(stores) == set(Stores.__dataclass_fields__)
