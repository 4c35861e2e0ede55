"""The outbound adapters a container needs besides its stores: where events go, and how a
leaked-token batch reaches its worker. Chosen from the settings; clients made on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sculptops.ports import EventPublisher, LeakDispatcher
    from sculptops.settings import Settings


def leak_dispatcher_for(
    settings: Settings, worker: Callable[[dict[str, Any]], object], real: bool
) -> LeakDispatcher:
    """The worker function, invoked asynchronously (its client made on first use), or a
    bounded background thread running the same worker: the local stack and containers of
    fakes."""
    if real and settings.leak_worker == "lambda":
        from sculptops.adapters.leak_dispatch import LambdaLeakDispatcher, lambda_client

        region = settings.region
        return LambdaLeakDispatcher(lambda: lambda_client(region), settings.leak_worker_function)
    from sculptops.adapters.leak_dispatch import ThreadLeakDispatcher

    return ThreadLeakDispatcher(worker)


def event_publisher_for(settings: Settings | None) -> EventPublisher:
    """EventBridge on the settings' bus (its client made on first use, not at cold start), or
    the log: for the local stack (`SCULPTOPS_EVENTS=log`) and containers of fakes."""
    if settings is not None and settings.events == "eventbridge":
        from sculptops.adapters.eventbridge import EventBridgePublisher, eventbridge_client

        region = settings.region
        return EventBridgePublisher(lambda: eventbridge_client(region), settings.event_bus)
    from sculptops.adapters.event_log import LogEventPublisher

    return LogEventPublisher()
