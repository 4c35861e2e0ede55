"""The local gateway assembled: API Gateway's REST API over the Lambda runtime stand-in.

The pieces, each in its own module: `apigateway` (routes, authorizer, proxy events and gateway
responses), `lambda_runtime` (loading and invoking handlers), `waf` (the failed-auth rate rule)
and `devidp` (the dev identity provider's routes, mounted beside the API).
"""

from __future__ import annotations

from sculptops.http.routers.credentials import ANSWER_AFTER
from sculptops.local import devidp, devjobs
from sculptops.local.apigateway import LocalGateway
from sculptops.local.lambda_runtime import HandlerLoader
from sculptops.local.project import repo_root
from sculptops.local.routes import load_api
from sculptops.local.waf import FailedAuthLimiter, RequestLimiter

# The public revocation route's per-source limit (infra/waf.yml's rule of its own on AWS).
REVOKE_RESOURCE = "/api/v1/credentials/revoke"


def build_gateway(
    idp: devidp.DevIdentityProvider | None,
    failed_auth_per_minute: int | None = None,
    revoke_per_minute: int | None = None,
) -> LocalGateway:
    """The gateway for serverless.yml; with a limit, 429 after that many 401s a minute per IP,
    and after that many POSTs to /api/v1/credentials/revoke a minute per IP. With the dev
    identity provider come the other dev-only routes (`local/devjobs.py`)."""
    root = repo_root()
    limiter = FailedAuthLimiter(failed_auth_per_minute) if failed_auth_per_minute else None
    extra = [*devidp.routes(idp), *devjobs.routes()] if idp is not None else []
    limits = (
        {REVOKE_RESOURCE: RequestLimiter(revoke_per_minute, answer_after=ANSWER_AFTER)}
        if revoke_per_minute
        else {}
    )
    return LocalGateway(
        load_api(root / "serverless.yml"), HandlerLoader(root), limiter, extra, limits
    )
