"""Scheduled daily: expiry notices to token owners, and a `Token Expiring` event for each."""

import logging
from dataclasses import asdict
from typing import Any

from sculptops.aws import snapstart
from sculptops.bootstrap import container

log = logging.getLogger("sculptops.notices")

snapstart.enable(container)  # after a restore: new AWS clients, reseeded random


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    run = container().expiry_notices.run()
    log.info("expiry notices: %s", asdict(run))
    return asdict(run)
