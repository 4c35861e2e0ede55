"""The routes, the authorizer and the gateway responses, read from serverless.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sculptops.local.project import load_yaml, repo_root


@dataclass(frozen=True)
class Route:
    function: str
    handler: str  # "functions/tokens/handler.handler"
    method: str
    resource: str  # "/api/v1/{tenant_id}/tokens/{id}"
    authorized: bool
    pattern: re.Pattern[str] = field(compare=False)
    precedence: tuple[int, ...] = ()

    def match(self, path: str) -> dict[str, str] | None:
        m = self.pattern.fullmatch(path)
        return m.groupdict() if m else None


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class ApiDefinition:
    routes: list[Route]
    authorizer_handler: str | None
    gateway_responses: dict[str, GatewayResponse]
    functions: dict[str, dict[str, Any]]


def _pattern(resource: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    parts = []
    precedence = []
    for segment in resource.strip("/").split("/"):
        m = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
        if m:
            name, greedy = m.groups()
            parts.append(f"(?P<{name}>{'.+' if greedy else '[^/]+'})")
            precedence.append(2 if greedy else 1)
        else:
            parts.append(re.escape(segment))
            precedence.append(0)
    return re.compile("/" + "/".join(parts)), tuple(precedence)


def _gateway_responses(resources: list[Any] | dict[str, Any]) -> dict[str, GatewayResponse]:
    out: dict[str, GatewayResponse] = {}
    documents = resources if isinstance(resources, list) else [resources]
    root = repo_root()
    for entry in documents:
        doc = entry
        if isinstance(entry, str):
            m = re.fullmatch(r"\$\{file\((.+)\)\}", entry.strip())
            if not m:
                continue
            doc = load_yaml(root / m.group(1))
        for res in (doc.get("Resources") or {}).values():
            if res.get("Type") != "AWS::ApiGateway::GatewayResponse":
                continue
            props = res["Properties"]
            headers = {
                k.removeprefix("gatewayresponse.header."): static_value(v)
                for k, v in (props.get("ResponseParameters") or {}).items()
            }
            out[props["ResponseType"]] = GatewayResponse(
                status=int(props.get("StatusCode", 500)),
                headers=headers,
                body=(props.get("ResponseTemplates") or {}).get("application/json", ""),
            )
    return out


def load_api(path: Path | None = None) -> ApiDefinition:
    """Parse serverless.yml (as the gateway needs it: http events, authorizer, responses)."""
    doc = load_yaml(path or repo_root() / "serverless.yml")
    routes: list[Route] = []
    authorizer_handler = None
    functions = doc.get("functions") or {}
    for name, fn in functions.items():
        for event in fn.get("events") or []:
            http = event.get("http") if isinstance(event, dict) else None
            if not http:
                continue
            resource = "/" + str(http["path"]).strip("/")
            pattern, precedence = _pattern(resource)
            auth = http.get("authorizer")
            if auth:
                auth_name = auth if isinstance(auth, str) else auth.get("name")
                authorizer_handler = functions[auth_name]["handler"]
            routes.append(
                Route(
                    function=name,
                    handler=fn["handler"],
                    method=str(http["method"]).upper(),
                    resource=resource,
                    authorized=bool(auth),
                    pattern=pattern,
                    precedence=precedence,
                )
            )
    # API Gateway prefers a static segment over a path parameter, from the left.
    routes.sort(key=lambda r: r.precedence)
    return ApiDefinition(
        routes=routes,
        authorizer_handler=authorizer_handler,
        gateway_responses=_gateway_responses(doc.get("resources") or []),
        functions=functions,
    )


def static_value(value: str) -> str:
    """A gateway response's static header value: `'text'`, with `\\'` for a quote inside."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = value[1:-1]
    return value.replace("\\'", "'")
