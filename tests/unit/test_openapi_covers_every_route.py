"""The one OpenAPI document (Swagger UI's) shows every route the gateway serves."""

from __future__ import annotations

import re

from sculptops.http.openapi import openapi_document
from sculptops.local.routes import load_api

# The document's own routes and the console's files: served beside it, not operations of the API.
DOCS = {
    "/health",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/assets/{}",
    "/",
    "/assets/{}",
    "/console/config.json",
}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/")) or "/"


def test_every_gateway_route_is_an_operation_of_the_document() -> None:
    # Given the routes serverless.yml gives the gateway, and the document Swagger UI renders
    operations = {
        (method.upper(), _shape(path))
        for path, item in openapi_document()["paths"].items()
        for method in item
    }
    # Then every route but the docs' own is an operation there, with its method
    missing = [
        f"{r.method} {r.resource}"
        for r in load_api().routes
        if _shape(r.resource) not in DOCS and (r.method, _shape(r.resource)) not in operations
    ]
    assert missing == []
