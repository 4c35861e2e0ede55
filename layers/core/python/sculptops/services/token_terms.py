"""The terms of a new token, on create and on rotate alike: its expiry under the tenant's token
policy (max and default lifetime) and under the token it must not outlive, and its ceiling."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sculptops.domain.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from sculptops.domain.identity import Caller, CredentialKind, Tenant
from sculptops.domain.roles import Role
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN, StoredToken, lineage_of_child
from sculptops.ports import IdentityStore, TokenStore


def as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):  # year 9999 at -01:00, year 1 at +01:00
            raise InvalidInput("expiry_date", "is out of range once converted to UTC") from None
    # A bare date means the end of that day, UTC.
    return datetime.combine(value, time(23, 59, 59), tzinfo=UTC)


def tenant_of(caller: Caller, identities: IdentityStore) -> Tenant:
    """The caller's tenant, read for its token policy."""
    if caller.tenant is None:
        raise Forbidden("this route needs a tenant")
    tenant = identities.get_tenant(caller.tenant)
    if tenant is None:
        raise NotFound(f"tenant {caller.tenant} not found")
    return tenant


def check_may_mint(caller: Caller, tenant: Tenant) -> None:
    """Agents never mint personal tokens; an admins-only tenant lets only admins."""
    if caller.kind is CredentialKind.AGENT:
        raise Forbidden("agent tokens cannot create personal tokens")
    if tenant.token_policy.admins_only and caller.role is not Role.ADMIN:
        raise Forbidden(f"tenant {tenant.slug} lets only admins create tokens")


def expiry(
    tenant: Tenant,
    expiry_date: datetime | date | None,
    expires_in_days: int | None,
    now: datetime,
    cap: datetime | None,
    *,
    default_life: timedelta | None = None,
    longest_life: timedelta | None = None,
) -> datetime:
    """The expiry a new token gets: asked for (within the tenant's maximum lifetime), else
    `default_life` (a rotation: the old token's lifetime), else the tenant's default, else its
    maximum; a default never beyond the maximum. Never after `cap` (the expiry of the token it
    must not outlive): asked for later is refused, a default is cut to it. An asked-for
    lifetime above `longest_life` is refused too. InvalidInput names the field.
    """
    if expiry_date is not None and expires_in_days is not None:
        raise InvalidInput("expiry_date", "give either expiry_date or expires_in_days, not both")
    policy = tenant.token_policy
    latest = now + timedelta(days=policy.max_days)
    if expires_in_days is not None:
        top = min(DAYS_MAX, policy.max_days)
        if not DAYS_MIN <= expires_in_days <= top:
            raise InvalidInput("expires_in_days", f"must be between {DAYS_MIN} and {top}")
        expires_at = now + timedelta(days=expires_in_days)
        field = "expires_in_days"
    elif expiry_date is not None:
        expires_at = as_utc(expiry_date)
        field = "expiry_date"
        if expires_at <= now:
            raise InvalidInput("expiry_date", "must be in the future")
        if expires_at > latest:
            raise InvalidInput("expiry_date", f"must be at most {policy.max_days} days from now")
    elif default_life is not None:
        expires_at = min(now + default_life, latest)
        field = ""
    else:
        default = policy.default_days
        expires_at = now + timedelta(days=default) if default else latest
        field = ""
    if field and longest_life is not None and expires_at - now > longest_life:
        raise InvalidInput(
            field, "a token cannot give its replacement a longer lifetime than its own"
        )
    if cap is not None and expires_at > cap:
        if field:
            raise InvalidInput(
                field, "a token cannot create a token that outlives it; choose an earlier expiry"
            )
        expires_at = cap
    return expires_at


def ceiling(caller: Caller, requested: Role | None) -> Role | None:
    """A token mints none above its own ceiling; without one asked for, it passes its own on."""
    if caller.kind is not CredentialKind.TOKEN or caller.ceiling is None:
        return requested
    if requested is None:
        return caller.ceiling
    if requested.rank > caller.ceiling.rank:
        raise InvalidInput(
            "ceiling", f"must not be above {caller.ceiling.value}, the ceiling of this token"
        )
    return requested


Lineage = tuple[tuple[str, ...], tuple[str, ...]]


def minting_token(caller: Caller, tokens: TokenStore) -> StoredToken | None:
    """The personal token making this request, when one is; it is gone: 401."""
    if caller.kind is not CredentialKind.TOKEN or caller.credential_id is None:
        return None
    parent = tokens.find(caller.subject, caller.credential_id)
    if parent is None:
        raise NotAuthenticated("parent-revoked")
    return parent


def lineage_under(parent: StoredToken | None) -> Lineage:
    """The lineage of a token minted by `parent` (None: by a session, a root); 422 too deep."""
    return lineage_of_child(parent) if parent is not None else ((), ())
