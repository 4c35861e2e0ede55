"""The local gateway assembled: API Gateway's REST API over the Lambda runtime stand-in.

The pieces, each in its own module: `apigateway` (routes, authorizer, proxy events and gateway
responses), `lambda_runtime` (loading and invoking handlers), `waf` (the failed-auth rate rule)
and `devidp` (the dev identity provider's routes, mounted beside the API).
"""

from __future__ import annotations

from sculptops.local import devidp
from sculptops.local.apigateway import LocalGateway
from sculptops.local.lambda_runtime import HandlerLoader
from sculptops.local.project import repo_root
from sculptops.local.routes import load_api
from sculptops.local.waf import FailedAuthLimiter


def build_gateway(
    idp: devidp.DevIdentityProvider | None, failed_auth_per_minute: int | None = None
) -> LocalGateway:
    """The gateway for serverless.yml; with a limit, 429 after that many 401s a minute per IP."""
    root = repo_root()
    limiter = FailedAuthLimiter(failed_auth_per_minute) if failed_auth_per_minute else None
    extra = devidp.routes(idp) if idp is not None else []
    return LocalGateway(load_api(root / "serverless.yml"), HandlerLoader(root), limiter, extra)
