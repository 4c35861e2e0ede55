"""API Gateway REQUEST authorizer for every non-public route. See sculptops.aws.authorizer."""

import gc

# Init allocates botocore's models and this package's modules (about 10^5 objects that live as
# long as the container): no garbage collection during it can free anything, so none runs.
gc.disable()

from typing import Any  # noqa: E402

from sculptops.aws import snapstart  # noqa: E402
from sculptops.aws.authentication import authorizer_authenticator  # noqa: E402
from sculptops.aws.authorizer import authorize  # noqa: E402

try:
    # Built at cold start: settings validated, the DynamoDB client created once per container.
    # Only the token check's own pieces (sculptops.aws.authentication): no route function's
    # adapters.
    _authenticator = authorizer_authenticator()
finally:
    gc.freeze()  # what init built stays: later collections do not walk it again
    gc.enable()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize(_authenticator, event)


# SnapStart: after a restore, a new DynamoDB client (made at once: the reads' `after_restore`)
# and a reseeded random.
snapstart.enable(lambda: _authenticator)
