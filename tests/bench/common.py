"""Shared pieces of the benchmarks: a seeded moto server, fake events, medians."""

from __future__ import annotations

import os
import statistics
from typing import Any

from sculptops.local.dynamodb import MotoBackend

ROUTE_EVENT: dict[str, Any] = {
    "type": "REQUEST",
    "methodArn": "arn:aws:execute-api:us-east-1:000000000000:api/bench/GET/api/v1/me",
    "resource": "/api/v1/me",
    "path": "/api/v1/me",
    "httpMethod": "GET",
    "headers": {},
    "multiValueHeaders": {},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/api/v1/me",
        "httpMethod": "GET",
        "stage": "bench",
        "identity": {"sourceIp": "127.0.0.1"},
        "path": "/bench/api/v1/me",
    },
}


def seeded_moto() -> tuple[MotoBackend, dict[str, str]]:
    """A moto server with the tables and the demo data; returns it and the env to reach it."""
    backend = MotoBackend()
    env = {
        "SCULPTOPS_STAGE": "bench",
        "SCULPTOPS_DYNAMODB_ENDPOINT": backend.endpoint,
        "SCULPTOPS_TOKEN_PEPPER": "bench-pepper-0123456789",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    os.environ.update(env)
    from sculptops.bootstrap import container
    from sculptops.local import seed
    from sculptops.local.tables import create_tables

    container.cache_clear()
    c = container()
    create_tables(c.settings)
    seed.seed_identity(c.identity_store)
    seed.seed_catalog(c.catalog_store)
    return backend, env


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
