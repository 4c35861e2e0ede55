"""The authorizer's DynamoDB client is made without listing every service botocore knows
(adapters.dynamodb.auth_reads._list_only_dynamodb): same search paths and files, DynamoDB only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session

from sculptops.adapters.dynamodb.auth_reads import _list_only_dynamodb


class _Loader:
    def __init__(self, paths: list[str]) -> None:
        self.search_paths = paths
        self.file_loader = botocore.session.get_session().get_component("data_loader").file_loader
        self.full_listings = 0

    def list_available_services(self, type_name: str) -> list[str]:
        self.full_listings += 1
        return ["everything"]


def test_dynamodb_is_found_without_the_full_listing() -> None:
    session = botocore.session.get_session()
    loader: Any = session.get_component("data_loader")
    before = loader.list_available_services("service-2")
    assert "dynamodb" in before and len(before) > 100  # what botocore lists otherwise
    _list_only_dynamodb(loader)
    assert loader.list_available_services("service-2") == ["dynamodb"]
    assert loader.list_available_services("endpoint-rule-set-1") == ["dynamodb"]
    client = session.create_client(
        "dynamodb", "eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    assert client.meta.service_model.service_name == "dynamodb"
    assert client.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    assert {"GetItem", "BatchGetItem", "UpdateItem", "Query"} <= set(
        client.meta.service_model.operation_names
    )


def test_anything_else_falls_back_to_botocores_listing(tmp_path: Path) -> None:
    loader = _Loader([str(tmp_path)])  # no dynamodb directory on the search paths
    _list_only_dynamodb(loader)
    assert loader.list_available_services("service-2") == ["everything"]
    assert loader.full_listings == 1
    broken: Any = _Loader([str(tmp_path)])
    broken.search_paths = None  # botocore changed underneath: iterating fails
    _list_only_dynamodb(broken)
    assert broken.list_available_services("service-2") == ["everything"]
