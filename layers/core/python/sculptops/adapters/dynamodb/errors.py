"""Translate SDK failures into domain errors, branching on error codes, never on text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBException

from sculptops.adapters.dynamodb.codes import CONDITIONAL_FAILURE, RETRYABLE
from sculptops.domain.errors import Unavailable

__all__ = ["RETRYABLE", "code_of", "is_conditional_failure", "translated"]


def code_of(exc: PynamoDBException) -> str | None:
    return exc.cause_response_code


def is_conditional_failure(exc: PynamoDBException) -> bool:
    return code_of(exc) == CONDITIONAL_FAILURE


@contextmanager
def translated() -> Iterator[None]:
    """Throttling, server errors and unreachable endpoints become Unavailable (503)."""
    try:
        yield
    except PynamoDBException as exc:
        code = code_of(exc)
        if code is None or code in RETRYABLE:
            raise Unavailable("The database is busy or unreachable; retry shortly") from exc
        raise
