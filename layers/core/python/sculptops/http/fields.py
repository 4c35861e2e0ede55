"""Field types that every input schema reuses: names that are plain text, times in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from sculptops.observability import holds_credential

# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, line and paragraph separators:
# nothing a name needs, and what a terminal or a list could be tricked by.
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _name_text(value: str) -> str:
    if _NAME_FORBIDDEN.search(value):
        raise PydanticCustomError(
            "name_characters",
            "must not contain control characters, line separators or bidi override characters",
        )
    return value


def _label_text(value: str) -> str:
    _name_text(value)
    if holds_credential(value):
        # What is stored with it (the audit log, the owner's notice) must never hold one.
        raise PydanticCustomError(
            "credential_shaped",
            "must not contain a credential (a token value, a stream ticket or a JWT)",
        )
    return value


def _in_utc(value: datetime) -> datetime:
    """Naive means UTC; an aware value is converted, or refused when UTC cannot hold it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PydanticCustomError(
            "datetime_utc_range", "is out of range once converted to UTC"
        ) from None


# Every *name* field of an input: single-line text without controls or bidi tricks. Length
# bounds stay on each field.
Name = Annotated[str, AfterValidator(_name_text)]
# A name or reason that is stored beside a credential's record (a token's name, an admin's
# reason for a revoke): a Name that also holds no credential.
Label = Annotated[str, AfterValidator(_label_text)]
# Every date-time of an input: timezone-aware, in UTC (year 1 at +01:00 is refused, not a 500).
UtcDateTime = Annotated[datetime, AfterValidator(_in_utc)]
