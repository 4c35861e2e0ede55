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
    for name in ("members", "policy_store", "token_ledger", "audit_log", "notification_store"):
        assert name in message
    assert "token_store" not in message


def test_every_store_given_wires_each_one_and_builds_no_real_one():
    stores = fake_stores()
    c = build(SETTINGS, **stores, clock=FakeClock())
    assert c.token_store is stores["token_store"] and c.log_store is stores["log_store"]
    assert c.execution_store is stores["execution_store"]
    assert c.executions._logs is stores["log_store"] and c.agents._logs is stores["log_store"]
    assert set(stores) == set(Stores.__dataclass_fields__)


def test_governance_is_part_of_every_or_none():
    # Given every store but one governance store, Then TypeError naming just that one
    stores = fake_stores()
    del stores["audit_log"]
    with pytest.raises(TypeError) as raised:
        build(SETTINGS, **stores, clock=FakeClock())
    assert str(raised.value).endswith("missing: audit_log")
    # Given all of them, Then each governance service works on the stores given
    stores = fake_stores()
    c = build(SETTINGS, **stores, clock=FakeClock())
    assert c.token_ledger is stores["token_ledger"] and c.members is stores["members"]
    assert c.membership._members is stores["members"]
    assert c.admin_tokens._ledger is stores["token_ledger"]
    assert c.token_policy._policies is stores["policy_store"]
    assert c.audit._log is stores["audit_log"]
    assert c.notifications._notes is stores["notification_store"]
    assert c.tokens._ledger is stores["token_ledger"] and c.tokens._audit is stores["audit_log"]
