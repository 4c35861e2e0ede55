"""The authorizer's items as pynamodb's models store them, decoded from DynamoDB's wire
format (botocore's `{"S": ...}` values) without pynamodb: token, user and tenant.

Strict as pynamodb is: an attribute of another type than the model's raises (ValueError or
KeyError), so that the authorizer refuses rather than read a default that would let a token in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sculptops.domain.identity import CredentialKind, Tenant, TokenPolicy, User
from sculptops.domain.roles import Role
from sculptops.domain.rotation import IPS_KEPT
from sculptops.domain.token_format import TokenHasher
from sculptops.domain.tokens import StoredToken

USER_SK = "USER"
TENANT_SK = "TENANT"
# pynamodb's UTCDateTimeAttribute format (pynamodb.constants.DATETIME_FORMAT).
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+0000"
Item = dict[str, dict[str, Any]]


def serialize_datetime(value: datetime) -> str:
    """As pynamodb writes it, so that a condition on a stored value compares equal."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(DATETIME_FORMAT).zfill(31)


def _datetime(item: Item, name: str) -> datetime | None:
    raw = _s(item, name)
    if raw is None:
        return None
    # pynamodb's UTCDateTimeAttribute._fast_parse_utc_date_string, the same checks.
    t = raw.zfill(31)
    if (
        len(t) != 31
        or (t[4], t[7], t[10], t[13], t[16], t[19]) != ("-", "-", "T", ":", ":", ".")
        or t[26:] != "+0000"
    ):
        raise ValueError(f"{name}: not a stored UTC time")
    return datetime(
        int(t[0:4]),
        int(t[5:7]),
        int(t[8:10]),
        int(t[11:13]),
        int(t[14:16]),
        int(t[17:19]),
        int(t[20:26]),
        UTC,
    )


def _s(item: Item, name: str) -> str | None:
    value = item.get(name)
    if value is None or "NULL" in value:
        return None
    return str(value["S"])


def _strings(item: Item, name: str) -> tuple[str, ...] | None:
    value = item.get(name)
    if value is None or "NULL" in value:
        return None
    if "SS" in value:
        return tuple(str(v) for v in value["SS"])
    if "L" in value:
        return tuple(str(v["S"]) for v in value["L"])
    raise ValueError(f"{name}: not a list of strings")


def _number(item: Item, name: str) -> float | None:
    value = item.get(name)
    if value is None or "NULL" in value:
        return None
    return float(value["N"])


def stored_token(item: Item) -> StoredToken:
    """A token item as the domain sees it (adapters.dynamodb.tokens.stored_token, raw)."""
    ceiling = _s(item, "ceiling")
    lineage = _strings(item, "lineage")
    created_at = _datetime(item, "created_at")
    if created_at is None:
        raise ValueError("created_at: missing")
    return StoredToken(
        digest=str(item["digest"]["S"]),
        id=str(item["id"]["S"]),
        kind=CredentialKind(item["kind"]["S"]),
        owner=str(item["owner"]["S"]),
        name=str(item["name"]["S"]),
        created_at=created_at,
        expires_at=_datetime(item, "expires_at"),
        tenant=_s(item, "tenant"),
        ceiling=Role(ceiling) if ceiling else None,
        last_used_at=_datetime(item, "last_used_at"),
        created_by=_s(item, "created_by"),
        last_used_ips=(_strings(item, "last_used_ips") or ())[:IPS_KEPT],
        family=_s(item, "family"),
        superseded_by=_s(item, "superseded_by"),
        valid_until=_datetime(item, "valid_until"),
        lineage=lineage,
        lineage_families=_strings(item, "lineage_families") or (),
    )


def user_of(user_id: str, item: Item) -> User:
    """A user item (adapters.dynamodb.identity.DynamoIdentityStore.get_user, raw)."""
    raw = item.get("memberships")
    if raw is not None and "M" not in raw and "NULL" not in raw:
        raise ValueError("memberships: not a map")  # refused, as pynamodb refuses it
    memberships = {str(k): Role(v["S"]) for k, v in (raw or {}).get("M", {}).items()}
    return User(
        id=user_id,
        email=_s(item, "email") or "",
        name=_s(item, "name") or "",
        memberships=memberships,
        active_tenant=_s(item, "active_tenant"),
        tokens_revoked_before=_datetime(item, "tokens_revoked_before"),
    )


def tenant_of(slug: str, item: Item) -> Tenant:
    """A tenant item (adapters.dynamodb.identity.DynamoIdentityStore.get_tenant, raw)."""
    admins_only = item.get("tokens_admins_only")
    if admins_only is not None and "BOOL" not in admins_only and "NULL" not in admins_only:
        # Any doubt refuses: a policy that cannot be read is not read as "off".
        raise ValueError("tokens_admins_only: not a boolean")
    max_days = _number(item, "token_max_days")
    default_days = _number(item, "token_default_days")
    policy = TokenPolicy(
        admins_only=bool(admins_only.get("BOOL")) if admins_only is not None else False,
        max_days=int(max_days) if max_days else 366,
        default_days=int(default_days) if default_days else None,
    )
    return Tenant(
        slug=slug,
        name=_s(item, "name") or slug,
        token_policy=policy,
        blocked_tokens=frozenset(_strings(item, "blocked_tokens") or ()),
    )


def user_pk(keys: TokenHasher, user_id: str) -> str:
    """A user item's partition key: `USER#` + the user's owner key (keyed with the pepper:
    domain.token_format.TokenHasher.owner_key), the key that a personal token carries, so that
    the authorizer can read the owner with the token. The user id is the `user_id` attribute."""
    return f"USER#{keys.owner_key(user_id)}"


def user_pk_of_key(key: str) -> str:
    """The same partition key from an owner key as a token carries it."""
    return f"USER#{key}"


def user_key(keys: TokenHasher, user_id: str) -> Item:
    return {"pk": {"S": user_pk(keys, user_id)}, "sk": {"S": USER_SK}}


def tenant_key(slug: str) -> Item:
    return {"pk": {"S": f"TENANT#{slug}"}, "sk": {"S": TENANT_SK}}
