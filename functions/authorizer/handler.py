"""API Gateway REQUEST authorizer for every non-public route. See sculptops.aws.authorizer."""

from typing import Any

from sculptops.aws import snapstart
from sculptops.aws.authentication import authorizer_authenticator
from sculptops.aws.authorizer import authorize

# Built at cold start: settings validated, the DynamoDB client created once per container. Only
# the token check's own pieces (sculptops.aws.authentication): no route function's adapters.
_authenticator = authorizer_authenticator()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize(_authenticator, event)


# SnapStart: after a restore, a new DynamoDB client (made at once: the reads' `after_restore`)
# and a reseeded random.
snapstart.enable(lambda: _authenticator)
