"""tests/botocore_cache.py shares only files nothing changes after loading."""

from __future__ import annotations

from pathlib import Path

import botocore

from tests.botocore_cache import _moto_extends, shared

DATA = Path(botocore.__file__).parent / "data"


def test_partition_endpoint_and_dynamodb_files_are_shared() -> None:
    for name in ("endpoints", "partitions", "sdk-default-configuration"):
        assert shared(str(DATA / name))
    assert shared(str(DATA / "dynamodb" / "2012-08-10" / "service-2"))


def test_models_moto_extends_and_files_elsewhere_are_parsed_afresh() -> None:
    # Moto merges its extras into SQS's model in place: that model must not be shared.
    assert _moto_extends("sqs") and not _moto_extends("dynamodb")
    assert not shared(str(DATA / "sqs" / "2012-11-05" / "service-2"))
    assert not shared("/elsewhere/endpoints")
