"""Scheduled every minute: fails running executions whose agent lease expired."""

import logging
from typing import Any

from sculptops.aws import snapstart
from sculptops.bootstrap import container

log = logging.getLogger("sculptops.sweeper")

snapstart.enable(container)  # after a restore: new AWS clients, reseeded random


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    failed = container().agents.sweep()
    if failed:
        log.warning("failed %d executions whose agent stopped reporting", failed)
    return {"failed": failed}
