"""Storage models (pynamodb), built per settings so table names and endpoints are not import-time.

Storage models are a third kind of thing beside API schemas and domain objects: stores convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from sculptops.settings import Settings


@dataclass(frozen=True)
class Models:
    Token: Any
    Identity: Any


def _meta(settings: Settings, table: str) -> type:
    attrs: dict[str, Any] = {
        "table_name": table,
        "region": settings.region,
        "connect_timeout_seconds": settings.dynamodb_connect_timeout,
        "read_timeout_seconds": settings.dynamodb_read_timeout,
        "max_retry_attempts": settings.dynamodb_max_retries,
    }
    if settings.dynamodb_endpoint:
        attrs["host"] = settings.dynamodb_endpoint
    return type("Meta", (), attrs)


def build_models(settings: Settings) -> Models:
    """Model classes bound to this deployment's tables."""

    class TokensByOwner(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "by_owner"
            projection = AllProjection()

        owner = UnicodeAttribute(hash_key=True)
        id = UnicodeAttribute(range_key=True)

    class TokenItem(Model):
        Meta = _meta(settings, settings.tokens_table)

        digest = UnicodeAttribute(hash_key=True)
        id = UnicodeAttribute()
        kind = UnicodeAttribute()
        owner = UnicodeAttribute()
        name = UnicodeAttribute()
        created_at = UTCDateTimeAttribute()
        expires_at = UTCDateTimeAttribute(null=True)
        tenant = UnicodeAttribute(null=True)
        ceiling = UnicodeAttribute(null=True)
        last_used_at = UTCDateTimeAttribute(null=True)
        created_by = UnicodeAttribute(null=True)
        # Epoch seconds for DynamoDB TTL: cleanup only, expiry is checked on every use.
        expires_ttl = NumberAttribute(null=True)
        by_owner = TokensByOwner()

    class IdentityItem(Model):
        Meta = _meta(settings, settings.identity_table)

        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        # user
        email = UnicodeAttribute(null=True)
        name = UnicodeAttribute(null=True)
        memberships = MapAttribute[str, Any](null=True)
        active_tenant = UnicodeAttribute(null=True)
        tokens_revoked_before = UTCDateTimeAttribute(null=True)
        # tenant
        tokens_admins_only = BooleanAttribute(null=True)
        token_max_days = NumberAttribute(null=True)

    return Models(Token=TokenItem, Identity=IdentityItem)
