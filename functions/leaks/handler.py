"""The leak worker: revokes the live tokens among the digests that POST
/api/v1/credentials/revoke handed over (services/leaks.py). Invoked asynchronously by the
credentials function (InvocationType=Event), never through the API; it reads every digest by key
(BatchGetItem) and revokes each live token with its audit events and its owner's notice.
The event carries digests: it is never logged.
"""

import logging
from typing import Any

from sculptops.bootstrap import container
from sculptops.services.leaks import LeakBatch

log = logging.getLogger("sculptops.leaks")


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    report = container().leaks.revoke_batch(LeakBatch.from_payload(event))
    log.info("leak batch: %d digests, %d revoked", report.received, report.revoked)
    return {"received": report.received, "revoked": report.revoked}
