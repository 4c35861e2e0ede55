"""A local stand-in for API Gateway (REST API) in front of the real Lambda handlers.

For each request it finds the route in serverless.yml, calls the REQUEST authorizer with the
event API Gateway would send, answers denials with the configured gateway responses, and
otherwise invokes the function's handler with a REST API proxy event carrying the
authorizer's context. Handlers run in worker threads, as separate Lambda containers would.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import logging
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route as StarletteRoute

from sculptops.http.body import MAX_BODY_BYTES, TOO_LARGE, Refused, decode_query, refusal_body
from sculptops.http.headers import SecurityHeaders
from sculptops.local.devidp import DevIdentityProvider
from sculptops.local.project import repo_root
from sculptops.local.routes import ApiDefinition, GatewayResponse, Route, load_api

log = logging.getLogger("sculptops.gateway")

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit; every function refuses 1 MiB sooner
STAGE = "local"
ACCOUNT = "000000000000"
API_ID = "local"
Handler = Callable[[dict[str, Any], Any], Any]

_DEFAULT_RESPONSES = {
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


class HandlerLoader:
    """Imports each function's handler module once, from its file, like a Lambda container."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._cache: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def get(self, spec: str) -> Handler:
        with self._lock:
            if spec not in self._cache:
                module_path, _, attr = spec.rpartition(".")
                file = self._root / f"{module_path}.py"
                name = "sculptops_fn_" + re.sub(r"\W", "_", module_path)
                mod_spec = importlib.util.spec_from_file_location(name, file)
                if mod_spec is None or mod_spec.loader is None:
                    raise ImportError(f"cannot load {file}")
                module = importlib.util.module_from_spec(mod_spec)
                sys.modules[name] = module
                mod_spec.loader.exec_module(module)
                self._cache[spec] = getattr(module, attr)
            return self._cache[spec]


def _invoke(handler: Handler, event: dict[str, Any], context: Any) -> Any:
    """Call a handler in a worker thread with an event loop of its own, as Lambda has."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return handler(event, context)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def _read_body(request: Request) -> bytes | None:
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


def _lambda_context(function: str) -> SimpleNamespace:
    deadline = time.monotonic() + 30
    return SimpleNamespace(
        function_name=f"sculptops-local-{function}",
        function_version="$LATEST",
        aws_request_id=secrets.token_hex(16),
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:local:{ACCOUNT}:function:sculptops-local-{function}",
        get_remaining_time_in_millis=lambda: int((deadline - time.monotonic()) * 1000),
    )


def _multi(items: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in items:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


class FailedAuthLimiter:
    """Repeated failed authentication from one source: 429 with Retry-After for a while.

    It holds back failures, never credentials: a request from a source over the limit is still
    authenticated, a valid credential goes through, and only a failing one gets 429 instead of
    401. So nobody locks a valid token, or the embedded agents that share 127.0.0.1, out with
    failures of their own. A malformed credential still costs no read (the authorizer refuses it
    first); a well-formed one costs its one GetItem, blocked or not: only that read can tell a
    valid credential from a guess. The local stand-in for the WAF per-IP rate rule on AWS, which
    counts every request instead (README, "Deploy to AWS").
    """

    def __init__(self, max_failures: int, window_seconds: float = 60.0) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.max_failures = max_failures
        self.window = window_seconds
        # The latest max_failures failures per source are all the verdict needs: a flood keeps
        # its source held back without a list that grows with it.
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _blocked_for(self, source: str, now: float) -> int:
        recent = self._failures.get(source)
        if recent is None:
            return 0
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if not recent:
            del self._failures[source]
            return 0
        if len(recent) < self.max_failures:
            return 0
        # Held back until the oldest of the latest max_failures failures leaves the window.
        return max(1, int(self.window - (now - recent[0])) + 1)

    def failed(self, source: str) -> int:
        """Record a failed authentication; seconds the source was already held back, else 0.

        Non-zero: answer this failure 429 with that Retry-After rather than 401.
        """
        now = time.monotonic()
        with self._lock:
            wait = self._blocked_for(source, now)
            recent = self._failures.setdefault(source, deque(maxlen=self.max_failures))
            recent.append(now)
            return wait


class LocalGateway:
    def __init__(
        self,
        api: ApiDefinition,
        loader: HandlerLoader,
        idp: DevIdentityProvider | None = None,
        limiter: FailedAuthLimiter | None = None,
    ) -> None:
        self.api = api
        self.loader = loader
        self.idp = idp
        self.limiter = limiter
        self.responses = {**_DEFAULT_RESPONSES, **api.gateway_responses}

    # ---- API Gateway behaviour ----

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
        path = request.url.path
        found = self.find(request.method, path)
        if found is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id=request_id)
        route, params = found
        body = await _read_body(request)
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
            result = await run_in_threadpool(
                _invoke, handler, event, _lambda_context(route.function)
            )
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
            result = await run_in_threadpool(_invoke, handler, event, _lambda_context("authorizer"))
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return self._unauthorized(context["identity"]["sourceIp"], request_id), {}
            return self.gateway_response("AUTHORIZER_FAILURE", request_id=request_id), {}
        if not _allows(result, method_arn):
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

    # ---- the dev identity provider (local stack only) ----

    async def oidc_token(self, request: Request) -> Response:
        assert self.idp is not None
        raw = await _read_body(request)
        if raw is None:
            return JSONResponse({"message": TOO_LARGE}, status_code=413)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return JSONResponse({"message": "the body is not valid JSON"}, status_code=400)
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username:
            return JSONResponse({"message": "username is required"}, status_code=422)
        try:
            return JSONResponse(self.idp.issue(username))
        except KeyError:
            return JSONResponse({"message": f"unknown user {username}"}, status_code=404)

    async def oidc_jwks(self, _: Request) -> Response:
        assert self.idp is not None
        return JSONResponse(self.idp.jwks())

    async def oidc_configuration(self, _: Request) -> Response:
        assert self.idp is not None
        return JSONResponse(self.idp.configuration())

    def asgi(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
        routes = []
        if self.idp is not None:
            routes += [
                StarletteRoute("/dev/oidc/token", self.oidc_token, methods=["POST"]),
                StarletteRoute("/dev/oidc/jwks.json", self.oidc_jwks, methods=["GET"]),
                StarletteRoute(
                    "/dev/oidc/.well-known/openid-configuration",
                    self.oidc_configuration,
                    methods=["GET"],
                ),
            ]
        routes.append(StarletteRoute("/{path:path}", self.dispatch, methods=methods))
        return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])


def _allows(result: Any, method_arn: str) -> bool:
    """True only for a well-formed Allow covering this method and no Deny: fail closed."""
    if not isinstance(result, dict):
        return False
    statements = (result.get("policyDocument") or {}).get("Statement") or []
    allowed = False
    for st in statements:
        resources = st.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        covers = any(_arn_matches(r, method_arn) for r in resources if isinstance(r, str))
        if covers and st.get("Effect") == "Deny":
            return False
        if covers and st.get("Effect") == "Allow" and st.get("Action") == "execute-api:Invoke":
            allowed = True
    return allowed


def _arn_matches(pattern: str, arn: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, arn) is not None


def build_gateway(
    idp: DevIdentityProvider | None, failed_auth_per_minute: int | None = None
) -> LocalGateway:
    """The gateway for serverless.yml; with a limit, 429 after that many 401s a minute per IP."""
    root = repo_root()
    limiter = FailedAuthLimiter(failed_auth_per_minute) if failed_auth_per_minute else None
    return LocalGateway(load_api(root / "serverless.yml"), HandlerLoader(root), idp, limiter)
