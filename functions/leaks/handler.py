"""The leak worker: revokes the live tokens among the digests that POST
/api/v1/credentials/revoke handed over (services/leaks.py). Invoked asynchronously by the
credentials function (InvocationType=Event), never through the API; it reads every digest by key
(BatchGetItem) and revokes each live token with its audit events and its owner's notice.
The event carries digests: it is never logged.
"""

import logging
from typing import Any

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.domain.leak_batches import LeakBatch

log = logging.getLogger("sculptops.leaks")

snapstart.enable(container)  # after a restore: new AWS clients, reseeded random


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    report = container().leaks.revoke_batch(LeakBatch.from_payload(event))
    log.info("leak batch: %d digests, %d revoked", report.received, report.revoked)
    return {"received": report.received, "revoked": report.revoked}
