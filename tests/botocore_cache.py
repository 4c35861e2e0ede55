"""Test-only: botocore parses each of its JSON data files once per process, not once per session.

Moto resets boto3's default session at every `mock_aws()`, and pynamodb opens a botocore session
per connection, so every test's fresh tables and stores re-read endpoints.json and the DynamoDB
model (about 0.1 s of JSON per client, most of an integration test's set-up). botocore already
shares what it loaded within one session (`instance_cache`); this shares it across the process's
sessions. Nothing botocore loads for DynamoDB is changed after loading (no sdk-extras, and no
`service-data-loaded` handler in botocore), so sharing returns what a fresh parse would.
"""

from __future__ import annotations

from typing import Any

from botocore.loaders import JSONFileLoader

_PARSED: dict[str, Any] = {}


def install() -> None:
    if getattr(JSONFileLoader.load_file, "_shared", False):
        return
    parse = JSONFileLoader.load_file

    def load_file(self: JSONFileLoader, file_path: str) -> Any:
        if file_path not in _PARSED:
            _PARSED[file_path] = parse(self, file_path)
        return _PARSED[file_path]

    load_file._shared = True  # type: ignore[attr-defined]
    JSONFileLoader.load_file = load_file  # type: ignore[method-assign]
