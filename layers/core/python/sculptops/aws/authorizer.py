"""API Gateway REST API REQUEST authorizer: event in, `authenticate` called, policy out.

- no credential / malformed / unknown / expired / revoked: raise `Exception("Unauthorized")`,
  which API Gateway answers with 401 (the UNAUTHORIZED gateway response);
- authenticated but not allowed here: a Deny policy, which API Gateway answers with 403
  (ACCESS_DENIED, whose template shows `context.reason`);
- the token store or the identity provider unavailable: another exception, which API Gateway
  answers as AUTHORIZER_FAILURE (configured as 503 with Retry-After);
- any other error: Unauthorized. Never an Allow.

A GET on a run's log stream without a header credential may carry `?ticket=st_...` (from
`POST .../logs/stream-url`): verified by the same Authenticator, for that run and tenant only.

Imports nothing of the web stack (fastapi, starlette, pydantic): it is on every request's path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from sculptops.domain import caller_context
from sculptops.domain.errors import Forbidden, NotAuthenticated, Unavailable
from sculptops.domain.identity import CredentialKind, RequestOrigin
from sculptops.domain.presented import credential_from_headers, stream_ticket_in
from sculptops.services.auth import Authenticator

log = logging.getLogger("sculptops.authorizer")

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway maps to 401
_AGENT_ROUTES = re.compile(
    r"^/api(/v1/\{tenant_id\})?/(agents/claim|executions/\{id\}/(heartbeat|logs|finish))$"
)


class AuthorizerUnavailable(Exception):
    """Raised so that API Gateway answers AUTHORIZER_FAILURE (503), not 401 and never Allow."""


def tenant_ref(event: Mapping[str, Any]) -> str | None:
    """`{tenant_id}` from the path, `active` on the /api compatibility surface, else None."""
    params = event.get("pathParameters") or {}
    if params.get("tenant_id"):
        return str(params["tenant_id"])
    resource = str(event.get("resource") or event.get("path") or "")
    if resource.startswith("/api/v1/"):
        return None
    return "active"


def _headers(event: Mapping[str, Any]) -> dict[str, str | None]:
    headers: dict[str, str | None] = dict(event.get("headers") or {})
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if name not in headers and values:
            headers[name] = values[0]
    return headers


def _query(event: Mapping[str, Any]) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {
        k: [str(x) for x in v]
        for k, v in (event.get("multiValueQueryStringParameters") or {}).items()
    }
    for name, value in (event.get("queryStringParameters") or {}).items():
        query.setdefault(name, [str(value)])
    return query


def _stream_ticket(event: Mapping[str, Any]) -> str | None:
    """A stream ticket, only on a GET of a run's log stream and only without a header credential."""
    if credential_from_headers(_headers(event)) is not None:
        return None
    method = event.get("httpMethod") or (event.get("requestContext") or {}).get("httpMethod")
    return stream_ticket_in(str(method or ""), str(event.get("resource") or ""), _query(event))


def _origin(event: Mapping[str, Any]) -> RequestOrigin:
    """Where the request came from as API Gateway saw it: `requestContext.identity.sourceIp`,
    never X-Forwarded-For or another header a client can write."""
    context = event.get("requestContext")
    context = context if isinstance(context, Mapping) else {}
    identity = context.get("identity")
    identity = identity if isinstance(identity, Mapping) else {}

    def text(value: Any) -> str | None:
        return value[:256] if isinstance(value, str) and value.isprintable() and value else None

    return RequestOrigin(
        source_ip=text(identity.get("sourceIp")),
        user_agent=text(identity.get("userAgent")),
        request_id=text(context.get("requestId")),
    )


def _safe(reason: str) -> str:
    """Reasons land in a JSON gateway-response template: keep them to plain characters."""
    return re.sub(r"[^A-Za-z0-9 .,:;_/@()-]", "", reason)[:200]


def _policy(effect: str, principal: str, resource: str, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


def authorize(authenticator: Authenticator, event: Mapping[str, Any]) -> dict[str, Any]:
    """The authorizer's answer for one REQUEST event. See the module docstring."""
    method_arn = str(event.get("methodArn") or "")
    subject = "anonymous"  # until a credential names someone
    try:
        ticket = _stream_ticket(event)
        if ticket is not None:
            execution_id = str((event.get("pathParameters") or {}).get("id") or "")
            caller = authenticator.authenticate_stream_ticket(
                ticket, tenant_ref(event), execution_id
            )
        else:
            tenant = tenant_ref(event)
            # A personal token on a tenant's route: the token and that tenant in one request.
            principal, read = authenticator.identify(
                credential_from_headers(_headers(event)), _origin(event), tenant
            )
            subject = principal.subject
            resource = str(event.get("resource") or "")
            if principal.kind is CredentialKind.AGENT and not _AGENT_ROUTES.match(resource):
                raise Forbidden("agent tokens reach only the agent protocol")
            caller = authenticator.act_in(principal, tenant, read)
    except NotAuthenticated as exc:
        log.info("authentication refused: %s", exc.reason)
        raise Exception(UNAUTHORIZED) from None
    except Forbidden as exc:
        log.info("access denied for %s: %s", subject, exc.message)
        return _policy("Deny", subject, method_arn, {"reason": _safe(exc.message)})
    except Unavailable as exc:
        log.warning("authentication unavailable: %s", type(exc.__cause__).__name__)
        raise AuthorizerUnavailable("dependency unavailable") from None
    except Exception as exc:  # fail closed
        log.error("authorizer error: %s", type(exc).__name__)
        raise Exception(UNAUTHORIZED) from None
    return _policy("Allow", caller.subject, method_arn, caller_context.encode(caller))
