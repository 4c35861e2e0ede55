"""Storage models (pynamodb), built per settings so table names and endpoints are not import-time.

Storage models are a third kind of thing beside API schemas and domain objects: stores convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
from pynamodb.models import Model

from sculptops.adapters.dynamodb.readback import Forgiving
from sculptops.domain import expiry_notices
from sculptops.domain.identity import CredentialKind
from sculptops.settings import Settings


@dataclass(frozen=True)
class Models:
    Token: Any
    Identity: Any
    Catalog: Any
    Execution: Any
    Idempotency: Any


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


def build_connection(settings: Settings) -> Connection:
    """A low-level connection for transactions, with the same endpoint and timeouts."""
    return Connection(
        region=settings.region,
        host=settings.dynamodb_endpoint,
        connect_timeout_seconds=settings.dynamodb_connect_timeout,
        read_timeout_seconds=settings.dynamodb_read_timeout,
        max_retry_attempts=settings.dynamodb_max_retries,
    )


def build_models(settings: Settings) -> Models:
    """Model classes bound to this deployment's tables."""

    class TokensByOwner(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "by_owner"
            projection = AllProjection()

        owner = UnicodeAttribute(hash_key=True)
        id = UnicodeAttribute(range_key=True)

    class TokensByExpiry(GlobalSecondaryIndex[Any]):
        # Sparse (personal tokens with an expiry only): the expiry-notice job Queries 8 days.
        class Meta:
            index_name = "by_expiry"
            projection = IncludeProjection(
                ["kind", "owner", "name", "created_at", "expires_at", "tenant"]
            )

        expires_on = UnicodeAttribute(hash_key=True)
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
        last_used_ips = ListAttribute[str](null=True)  # newest first, at most five
        # rotation (domain/rotation.py)
        family = UnicodeAttribute(null=True)
        superseded_by = UnicodeAttribute(null=True)
        valid_until = UTCDateTimeAttribute(null=True)
        # lineage (domain/tokens.py): the tokens above it in the minting tree, their families
        lineage = ListAttribute[str](null=True)
        lineage_families = ListAttribute[str](null=True)
        # Epoch seconds for DynamoDB TTL: cleanup only, expiry is checked on every use.
        expires_ttl = NumberAttribute(null=True)
        by_owner = TokensByOwner()
        # The expiry's UTC day (YYYY-MM-DD), the by_expiry index's key: derived on every write
        # of a whole item (`serialize`), so whichever adapter writes a token sets it. Tokens
        # stored before this attribute existed have none (no backfill).
        expires_on = UnicodeAttribute(null=True)
        by_expiry = TokensByExpiry()

        def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
            personal = self.kind == CredentialKind.TOKEN.value
            self.expires_on = expiry_notices.expires_on(self.expires_at) if personal else None
            return super().serialize(null_check=null_check)

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
        # agent (pk TENANT#slug, sk AGENT#id)
        created_at = UTCDateTimeAttribute(null=True)
        token_id = UnicodeAttribute(null=True)
        last_seen_at = UTCDateTimeAttribute(null=True)
        current_execution = UnicodeAttribute(null=True)
        # governance (adapters/dynamodb/governance_items.py): tenant policy default and membership
        # revision; members (pk TENANT#slug, sk MEMBER#user); tenant token index entries
        # (pk TENANT#slug, sk TOKEN#id); audit events (pk TENANT#slug#AUDIT, sk evt id);
        # notifications (pk USER#id#NOTE, sk ntf id)
        token_default_days = NumberAttribute(null=True)
        members_rev = NumberAttribute(null=True)
        # token ids an admin revoked in this tenant only (domain.identity.Tenant.blocked_tokens)
        blocked_tokens = UnicodeSetAttribute(null=True)
        user_id = UnicodeAttribute(null=True)
        role = UnicodeAttribute(null=True)
        joined_at = UTCDateTimeAttribute(null=True)
        owner = UnicodeAttribute(null=True)
        token_digest = UnicodeAttribute(null=True)
        event_type = UnicodeAttribute(null=True)
        at = UTCDateTimeAttribute(null=True)
        actor_user = UnicodeAttribute(null=True)
        actor_credential_id = UnicodeAttribute(null=True)
        actor_credential_kind = UnicodeAttribute(null=True)
        target_type = UnicodeAttribute(null=True)
        target_id = UnicodeAttribute(null=True)
        target_user = UnicodeAttribute(null=True)
        source_ip = UnicodeAttribute(null=True)
        user_agent = UnicodeAttribute(null=True)
        request_id = UnicodeAttribute(null=True)
        details = UnicodeAttribute(null=True)  # JSON
        message = UnicodeAttribute(null=True)
        tenant = UnicodeAttribute(null=True)
        # Epoch seconds for DynamoDB TTL (audit events, notifications, index entries).
        expires_ttl = NumberAttribute(null=True)

    class CatalogItem(Forgiving, Model):
        Meta = _meta(settings, settings.catalog_table)

        tenant = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)  # PB#id or INV#id
        id = UnicodeAttribute()
        name = UnicodeAttribute()
        content = UnicodeAttribute(null=True)  # playbook YAML
        hosts = UnicodeAttribute(null=True)  # inventory hosts, JSON
        vars = UnicodeAttribute(null=True)  # inventory group vars, JSON
        created_at = UTCDateTimeAttribute()
        updated_at = UTCDateTimeAttribute()

    class ByTenant(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "by_tenant"
            projection = AllProjection()

        tenant = UnicodeAttribute(hash_key=True)
        id = UnicodeAttribute(range_key=True)

    class Queued(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "queued"
            projection = KeysOnlyProjection()

        queue = UnicodeAttribute(hash_key=True)
        id = UnicodeAttribute(range_key=True)

    class Leases(GlobalSecondaryIndex[Any]):
        class Meta:
            index_name = "leases"
            projection = KeysOnlyProjection()

        lease_shard = UnicodeAttribute(hash_key=True)
        lease_epoch = NumberAttribute(range_key=True)

    class ExecutionItem(Forgiving, Model):
        """One partition per execution: log chunks (sk L#<last seq>) then the head (sk Z).

        The head sorts after the chunks, so one Query from the reader's cursor to `Z` returns
        the new lines and the current status together.
        """

        Meta = _meta(settings, settings.executions_table)

        pk = UnicodeAttribute(hash_key=True)  # tenant#execution id
        sk = UnicodeAttribute(range_key=True)
        # head
        tenant = UnicodeAttribute(null=True)
        id = UnicodeAttribute(null=True)
        status = UnicodeAttribute(null=True)
        playbook_id = UnicodeAttribute(null=True)
        inventory_id = UnicodeAttribute(null=True)
        created_at = UTCDateTimeAttribute(null=True)
        triggered_by = UnicodeAttribute(null=True)
        credential_kind = UnicodeAttribute(null=True)
        credential_id = UnicodeAttribute(null=True)
        extra_vars = UnicodeAttribute(null=True)  # JSON
        tags = ListAttribute[str](null=True)  # a list of strings
        host_limit = UnicodeAttribute(null=True)
        started_at = UTCDateTimeAttribute(null=True)
        finished_at = UTCDateTimeAttribute(null=True)
        exit_code = NumberAttribute(null=True)
        agent_id = UnicodeAttribute(null=True)
        lease_expires_at = UTCDateTimeAttribute(null=True)
        lease_epoch = NumberAttribute(null=True)
        lease_shard = UnicodeAttribute(null=True)  # "running" while running: sparse index
        queue = UnicodeAttribute(null=True)  # the tenant while queued: sparse index
        cancel_requested = BooleanAttribute(null=True)
        log_next_seq = NumberAttribute(null=True)
        log_written_at = UTCDateTimeAttribute(null=True)  # the last batch's (server) time
        error = UnicodeAttribute(null=True)
        # chunk
        first_seq = NumberAttribute(null=True)
        body = UnicodeAttribute(null=True)  # JSON [[seq, ts, level, line], ...]

        by_tenant = ByTenant()
        queued = Queued()
        leases = Leases()

    class IdempotencyItem(Model):
        Meta = _meta(settings, settings.idempotency_table)

        key = UnicodeAttribute(hash_key=True)
        fingerprint = UnicodeAttribute()
        in_flight = BooleanAttribute()
        status = NumberAttribute(null=True)
        body = UnicodeAttribute(null=True)
        expires_ttl = NumberAttribute()

    return Models(
        Token=TokenItem,
        Identity=IdentityItem,
        Catalog=CatalogItem,
        Execution=ExecutionItem,
        Idempotency=IdempotencyItem,
    )
