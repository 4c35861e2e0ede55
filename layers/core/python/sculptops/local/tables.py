"""Create the DynamoDB tables from infra/tables.yml: one definition for every environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from sculptops.local.project import load_yaml, repo_root
from sculptops.settings import Settings

_KEEP = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")


def table_names(settings: Settings) -> dict[str, str]:
    """Logical id in infra/tables.yml -> this deployment's table name."""
    return {
        "TokensTable": settings.tokens_table,
        "IdentityTable": settings.identity_table,
        "CatalogTable": settings.catalog_table,
        "ExecutionsTable": settings.executions_table,
        "IdempotencyTable": settings.idempotency_table,
    }


def table_definitions(path: Path | None = None) -> dict[str, dict[str, Any]]:
    doc = load_yaml(path or repo_root() / "infra" / "tables.yml")
    return {
        logical: res["Properties"]
        for logical, res in doc["Resources"].items()
        if res.get("Type") == "AWS::DynamoDB::Table"
    }


def dynamodb_client(settings: Settings) -> Any:
    return boto3.client(
        "dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint
    )


def create_tables(settings: Settings, client: Any = None) -> list[str]:
    """Create every table that does not exist yet; returns the names created."""
    client = client or dynamodb_client(settings)
    names = table_names(settings)
    created = []
    for logical, props in table_definitions().items():
        name = names.get(logical)
        if name is None:
            raise KeyError(f"infra/tables.yml defines {logical}, unknown to the settings")
        args: dict[str, Any] = {k: props[k] for k in _KEEP if k in props}
        args["BillingMode"] = props.get("BillingMode", "PAY_PER_REQUEST")
        try:
            client.create_table(TableName=name, **args)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            continue
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        created.append(name)
    return created
