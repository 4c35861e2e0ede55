"""A local stand-in for API Gateway (REST API): the proxy integration and the REQUEST authorizer.

For each request it finds the route in serverless.yml, calls the REQUEST authorizer with the
event API Gateway would send, answers denials with the configured gateway responses, and
otherwise invokes the function's handler with a REST API proxy event carrying the
authorizer's context. Handlers run in worker threads, as separate Lambda containers would.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as StarletteRoute

from sculptops.http.body import MAX_BODY_BYTES, TOO_LARGE, Refused, decode_query, refusal_body
from sculptops.http.headers import SecurityHeaders
from sculptops.local.lambda_runtime import ACCOUNT, HandlerLoader, invoke, lambda_context
from sculptops.local.policy import allows
from sculptops.local.routes import ApiDefinition, GatewayResponse, Route
from sculptops.local.waf import FailedAuthLimiter, RequestLimiter

log = logging.getLogger("sculptops.gateway")

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit; every function refuses 1 MiB sooner
STAGE = "local"
API_ID = "local"

DEFAULT_RESPONSES = {
    "UNAUTHORIZED": GatewayResponse(401, {}, '{"message":"Unauthorized"}'),
    "ACCESS_DENIED": GatewayResponse(
        403,
        {},
        '{"Message":"User is not authorized to access this resource with an explicit deny"}',
    ),
    "AUTHORIZER_FAILURE": GatewayResponse(500, {}, '{"message":null}'),
    "AUTHORIZER_CONFIGURATION_ERROR": GatewayResponse(500, {}, '{"message":null}'),
    "MISSING_AUTHENTICATION_TOKEN": GatewayResponse(
        403, {}, '{"message":"Missing Authentication Token"}'
    ),
    "REQUEST_TOO_LARGE": GatewayResponse(413, {}, '{"message":"Request Too Long"}'),
    "INTEGRATION_FAILURE": GatewayResponse(502, {}, '{"message":"Internal server error"}'),
    "THROTTLED": GatewayResponse(429, {"Retry-After": "1"}, '{"message":"Too Many Requests"}'),
}


async def read_body(request: Request) -> bytes | None:
    """The body as it arrives, chunked or not; None once it is over the functions' limit.

    API Gateway would buffer up to MAX_BODY and the function then answer 413; reading on past
    MAX_BODY_BYTES could only end in that same answer, so it stops there.
    """
    limit = min(MAX_BODY, MAX_BODY_BYTES)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None  # refused unread
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _multi(items: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in items:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


class LocalGateway:
    """serverless.yml's REST API: its routes, its authorizer and its gateway responses.

    `extra_routes` (the dev identity provider's) are served beside the API, ahead of it, as
    another origin would be; a limiter holds back repeated failed authentication (the WAF), and
    `rate_limits` (route resource -> limiter) hold back too many requests to one route per source.
    """

    def __init__(
        self,
        api: ApiDefinition,
        loader: HandlerLoader,
        limiter: FailedAuthLimiter | None = None,
        extra_routes: Sequence[BaseRoute] = (),
        rate_limits: Mapping[str, RequestLimiter] | None = None,
    ) -> None:
        self.api = api
        self.loader = loader
        self.limiter = limiter
        self.rate_limits = dict(rate_limits or {})
        self.extra_routes = list(extra_routes)
        self.responses = {**DEFAULT_RESPONSES, **api.gateway_responses}

    def gateway_response(
        self, kind: str, context: dict[str, str] | None = None, request_id: str = ""
    ) -> Response:
        spec = self.responses[kind]
        body = spec.body
        for key, value in (context or {}).items():
            body = body.replace(f"$context.authorizer.{key}", value)
        body = re.sub(r"\$context\.authorizer\.\w+", "", body)
        headers = {"Content-Type": "application/json", **spec.headers}
        headers["x-amzn-RequestId"] = request_id
        headers["x-amzn-ErrorType"] = kind
        return Response(body, status_code=spec.status, headers=headers)

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        # API Gateway ignores one trailing slash when matching a resource.
        trimmed = path.rstrip("/") or "/"
        for route in self.api.routes:
            if route.method != method:
                continue
            params = route.match(trimmed)
            if params is not None:
                return route, params
        return None

    def _request_context(
        self, route: Route, request: Request, request_id: str, path: str
    ) -> dict[str, Any]:
        return {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "stage": STAGE,
            "resourcePath": route.resource,
            "httpMethod": route.method,
            # As behind a custom domain: the local URL carries no stage, so neither does this.
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {
                "sourceIp": request.client.host if request.client else "127.0.0.1",
                "userAgent": request.headers.get("user-agent", ""),
            },
        }

    async def dispatch(self, request: Request) -> Response:
        request_id = secrets.token_hex(16)
        arrived = time.monotonic()
        path = request.url.path
        found = self.find(request.method, path)
        if found is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id=request_id)
        route, params = found
        route_limit = self.rate_limits.get(route.resource)
        if route_limit is not None:
            wait = route_limit.hit(request.client.host if request.client else "127.0.0.1")
            if wait:
                await asyncio.sleep(max(0.0, arrived + route_limit.answer_after - time.monotonic()))
                throttled = self.gateway_response("THROTTLED", request_id=request_id)
                throttled.headers["Retry-After"] = str(wait)
                return throttled
        body = await read_body(request)
        if body is None:
            return JSONResponse(
                {"message": TOO_LARGE}, status_code=413, headers={"x-amzn-RequestId": request_id}
            )
        headers, multi_headers = _multi(list(request.headers.items()))
        try:
            # As API Gateway passes them: decoded text. Not parse_qsl, which would replace
            # invalid UTF-8 with U+FFFD before the function's input guard could see it.
            query_items = decode_query(request.scope.get("query_string", b""))
        except Refused as exc:
            return JSONResponse(
                refusal_body(exc), status_code=exc.status, headers={"x-amzn-RequestId": request_id}
            )
        query, multi_query = _multi(query_items)
        context = self._request_context(route, request, request_id, path)
        base = {
            "resource": route.resource,
            "path": path,
            "httpMethod": route.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
        }
        if route.authorized:
            denied, auth_context = await self._authorize(route, base, context, request_id)
            if denied is not None:
                return denied
            context["authorizer"] = auth_context
        try:
            text = body.decode("utf-8")
            encoded = False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
        event = {
            **base,
            "requestContext": context,
            "body": text or None,
            "isBase64Encoded": encoded,
        }
        handler = self.loader.get(route.handler)
        try:
            result = await run_in_threadpool(invoke, handler, event, lambda_context(route.function))
        except Exception as exc:
            log.error("function %s failed: %s", route.function, type(exc).__name__)
            return self.gateway_response("INTEGRATION_FAILURE", request_id=request_id)
        return self._proxy_response(result, request_id)

    async def _authorize(
        self,
        route: Route,
        base: dict[str, Any],
        context: dict[str, Any],
        request_id: str,
    ) -> tuple[Response | None, dict[str, Any]]:
        assert self.api.authorizer_handler is not None
        method_arn = (
            f"arn:aws:execute-api:local:{ACCOUNT}:{API_ID}/{STAGE}/{route.method}{route.resource}"
        )
        event = {"type": "REQUEST", "methodArn": method_arn, **base, "requestContext": context}
        handler = self.loader.get(self.api.authorizer_handler)
        try:
            result = await run_in_threadpool(invoke, handler, event, lambda_context("authorizer"))
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return self._unauthorized(context["identity"]["sourceIp"], request_id), {}
            return self.gateway_response("AUTHORIZER_FAILURE", request_id=request_id), {}
        if not allows(result, method_arn):
            ctx = {k: str(v) for k, v in (result or {}).get("context", {}).items()}
            return self.gateway_response("ACCESS_DENIED", ctx, request_id), {}
        auth_context = dict(result.get("context") or {})
        auth_context["principalId"] = result.get("principalId")
        return None, auth_context

    def _unauthorized(self, source: str, request_id: str) -> Response:
        """401; 429 with Retry-After instead once the source is over the failed-auth limit.

        Only failures are held back: the request was authenticated all the same, so a valid
        credential from the same source is never refused because of someone else's failures.
        """
        wait = self.limiter.failed(source) if self.limiter else 0
        if not wait:
            return self.gateway_response("UNAUTHORIZED", request_id=request_id)
        throttled = self.gateway_response("THROTTLED", request_id=request_id)
        throttled.headers["Retry-After"] = str(wait)
        return throttled

    @staticmethod
    def _proxy_response(result: Any, request_id: str) -> Response:
        if not isinstance(result, dict) or "statusCode" not in result:
            return Response(
                '{"message": "Internal server error"}',
                status_code=502,
                media_type="application/json",
            )
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
        pairs: list[tuple[str, str]] = []
        for key, value in (result.get("headers") or {}).items():
            pairs.append((key, str(value)))
        for key, values in (result.get("multiValueHeaders") or {}).items():
            pairs.extend((key, str(v)) for v in values)
        raw_headers: list[tuple[bytes, bytes]] = []
        seen = set()
        for key, value in pairs:
            lowered = key.lower()
            if (lowered, value) in seen or lowered == "content-length":
                continue
            seen.add((lowered, value))
            raw_headers.append((lowered.encode("latin-1"), value.encode("latin-1")))
        raw_headers.append((b"content-length", str(len(raw)).encode()))
        raw_headers.append((b"x-amzn-requestid", request_id.encode()))
        response = Response(raw, status_code=int(result["statusCode"]))
        response.raw_headers = raw_headers
        return response

    def asgi(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
        routes = [*self.extra_routes]
        routes.append(StarletteRoute("/{path:path}", self.dispatch, methods=methods))
        return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
