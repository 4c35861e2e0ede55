"""Test-only: botocore parses its shared data files once per process, not once per session.

Moto resets boto3's default session at every `mock_aws()`, and pynamodb opens a botocore session
per connection, so every test's fresh tables and stores re-read endpoints.json and the DynamoDB
model (about 0.1 s of JSON per client, half of the integration tests' time). botocore already
shares what it loaded within one session (`instance_cache`); this shares it across sessions, for
the files that nothing changes after loading: the partition and endpoint data, the retry and
default-configuration data, and DynamoDB's own files. Moto's loader merges its `moto-extras`
into some other services' models in place (SQS, S3, EC2...), so those are parsed afresh each
time, as without this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore
from botocore.loaders import JSONFileLoader

_DATA = Path(botocore.__file__).parent / "data"
_SHARED_FILES = {"endpoints", "partitions", "_retry", "sdk-default-configuration"}
_PARSED: dict[str, Any] = {}


def _moto_extends(service: str) -> bool:
    """Whether moto ships extras it would merge into this service's model."""
    import moto

    return any((Path(moto.__file__).parent / service).glob("*/*moto-extras*"))


# DynamoDB's files, unless a moto release starts extending its model.
_SHARED_SERVICES = {s for s in ("dynamodb",) if not _moto_extends(s)}


def shared(file_path: str) -> bool:
    """Whether a data file (a path without its .json) is one this module parses once."""
    path = Path(file_path)
    if not path.is_relative_to(_DATA):
        return False
    parts = path.relative_to(_DATA).parts
    return (len(parts) == 1 and parts[0] in _SHARED_FILES) or parts[0] in _SHARED_SERVICES


def install() -> None:
    if getattr(JSONFileLoader.load_file, "_shared", False):
        return
    parse = JSONFileLoader.load_file

    def load_file(self: JSONFileLoader, file_path: str) -> Any:
        if not shared(file_path):
            return parse(self, file_path)
        if file_path not in _PARSED:
            _PARSED[file_path] = parse(self, file_path)
        return _PARSED[file_path]

    load_file._shared = True  # type: ignore[attr-defined]
    JSONFileLoader.load_file = load_file  # type: ignore[method-assign]
