"""API schemas of token rotation (`POST /tokens/{id}/rotate`); the other token schemas are in
http/schemas.py."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from sculptops.domain.rotation import OVERLAP_MAX_SECONDS
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN
from sculptops.http.fields import UtcDateTime
from sculptops.http.schemas import Schema, TokenCreated


class TokenRotate(Schema):
    """A new value for a token. Give `expiry_date` or `expires_in_days`, or neither (the
    tenant's default lifetime, as on create)."""

    expiry_date: UtcDateTime | date | None = Field(
        default=None,
        description="A future ISO-8601 date or date-time (UTC when no offset is given)",
    )
    expires_in_days: int | None = Field(default=None, ge=DAYS_MIN, le=DAYS_MAX, strict=True)
    overlap_seconds: int | None = Field(
        default=None,
        ge=0,
        le=OVERLAP_MAX_SECONDS,
        strict=True,
        description="How long the old value keeps working (default 0: it fails at once). "
        "Presented after that, it revokes every token of its rotation family.",
    )


class TokenRotated(TokenCreated):
    """The new token with its value, shown in this response only, and the fate of the old one."""

    rotated_from: str = Field(description="The id of the token this one replaces")
    old_valid_until: datetime = Field(description="Until when the old value still works")
