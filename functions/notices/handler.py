"""Scheduled daily: expiry notices to token owners, and a `Token Expiring` event for each."""

import logging
from dataclasses import asdict
from typing import Any

from sculptops.bootstrap import container

log = logging.getLogger("sculptops.notices")


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    run = container().expiry_notices.run()
    log.info("expiry notices: %s", asdict(run))
    return asdict(run)
