"""SnapStart's after-restore hook, offline: a restore is simulated by calling the hooks the
runtime would call (sculptops.aws.snapstart.restored)."""

from __future__ import annotations

import functools
import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sculptops.aws import snapstart
from sculptops.bootstrap import Container, build
from sculptops.settings import Settings

SETTINGS = Settings(
    region="us-east-1",
    dynamodb_endpoint="http://127.0.0.1:9",  # never reached: clients are made, not used
    token_pepper=b"pepper-for-tests",
    events="eventbridge",
    leak_worker="lambda",
)


@pytest.fixture(autouse=True)
def _fresh_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(snapstart, "_hooks", [])
    monkeypatch.setattr(snapstart, "_runtime", [])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield


def _cached(c: Container) -> Callable[[], Container]:
    return functools.cache(lambda: c)


def _clients(c: Container) -> dict[str, Any]:
    """Every AWS client the container's functions use, made now (as a first request would)."""
    token_model = c.token_store._m  # type: ignore[attr-defined]
    execution_conn = c.execution_store._conn  # type: ignore[attr-defined]
    events = c.events
    dispatcher = c.leak_dispatcher
    events._client = events._factory()  # type: ignore[attr-defined]
    dispatcher._client = dispatcher._factory()  # type: ignore[attr-defined]
    return {
        "tokens": token_model._get_connection().connection.client,
        "executions": execution_conn.client,
        "events": events._client,  # type: ignore[attr-defined]
        "lambda": dispatcher._client,  # type: ignore[attr-defined]
    }


def test_a_restore_makes_every_client_anew() -> None:
    c = build(SETTINGS)
    container = _cached(c)
    container()
    before = _clients(c)
    assert all(before.values())
    assert snapstart.enable(container) is False  # no SnapStart runtime here
    snapstart.restored()
    token_model = c.token_store._m  # type: ignore[attr-defined]
    assert token_model._connection is None
    assert c.execution_store._conn._client is None  # type: ignore[attr-defined]
    assert c.events._client is None  # type: ignore[attr-defined]
    assert c.leak_dispatcher._client is None  # type: ignore[attr-defined]
    after = _clients(c)
    for name, client in after.items():
        assert client is not before[name], name
    # ... and what the container computes with stays: the same services, the same pepper.
    assert c.settings.token_pepper == b"pepper-for-tests"


def test_the_authorizer_warms_its_clients_again_at_restore() -> None:
    c = build(SETTINGS)
    container = _cached(c)
    container().warm_authentication()  # the authorizer's init
    token_model = c.token_store._m  # type: ignore[attr-defined]
    before = token_model._get_connection().connection.client
    snapstart.enable(container, warm=c.warm_authentication)
    snapstart.restored()
    # Made during the restore (the warm hook runs after the reset), not on the first request.
    assert token_model._connection is not None
    assert token_model._get_connection().connection.client is not before


def test_a_restore_reseeds_random() -> None:
    random.seed(1234)  # as if the snapshot froze this state: every copy would draw the same
    frozen = random.getstate()
    snapstart.restored()
    assert random.getstate() != frozen


def test_a_container_not_built_during_init_is_left_alone() -> None:
    built: list[bool] = []

    @functools.cache
    def container() -> Container:
        built.append(True)
        return build(SETTINGS)

    snapstart.enable(container)
    snapstart.restored()
    assert built == []  # the restore did not build it: the first request will


def test_the_runtime_hook_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[Callable[[], None]] = []
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_after_restore = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    c = _cached(build(SETTINGS))
    assert snapstart.enable(c) is True
    assert snapstart.enable(c) is True
    assert registered == [snapstart.restored]


def test_a_failing_hook_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    snapstart.after_restore(broken)
    snapstart.after_restore(lambda: ran.append("next"))
    snapstart.restored()
    assert ran == ["next"]
    assert "broken" in caplog.text
