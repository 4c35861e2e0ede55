"""API Gateway REQUEST authorizer for every non-public route. See sculptops.aws.authorizer."""

from typing import Any

from sculptops.aws.authorizer import authorize
from sculptops.bootstrap import container

# Built at cold start: settings validated, the DynamoDB client created once per container.
container().warm_authentication()
_authenticator = container().authenticator


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize(_authenticator, event)
