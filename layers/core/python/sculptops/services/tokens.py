"""Personal API tokens: create (value shown once), list, delete one, revoke all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sculptops.domain import ids, token_format
from sculptops.domain.errors import Forbidden, InvalidInput, NotFound
from sculptops.domain.identity import Caller, CredentialKind, Tenant
from sculptops.domain.roles import Role
from sculptops.domain.tokens import DAYS_MAX, DAYS_MIN, NAME_MAX, StoredToken, TokenPage
from sculptops.ports import Clock, IdentityStore, TokenStore

LIST_LIMIT_DEFAULT = 100
LIST_LIMIT_MAX = 1000


@dataclass(frozen=True)
class NewToken:
    name: str
    expiry_date: datetime | date | None = None
    expires_in_days: int | None = None
    ceiling: Role | None = None


@dataclass(frozen=True)
class CreatedToken:
    token: StoredToken
    value: str  # shown once, in the create response only


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    # A bare date means the end of that day, UTC.
    return datetime.combine(value, time(23, 59, 59), tzinfo=UTC)


class TokenService:
    def __init__(
        self,
        *,
        tokens: TokenStore,
        identities: IdentityStore,
        hasher: token_format.TokenHasher,
        clock: Clock,
        prefix: str,
    ) -> None:
        self._tokens = tokens
        self._identities = identities
        self._hasher = hasher
        self._clock = clock
        self._prefix = prefix

    def create(self, caller: Caller, request: NewToken) -> CreatedToken:
        """Create a personal token for the caller. The value is returned once, never stored."""
        tenant = self._tenant_of(caller)
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens cannot create personal tokens")
        if tenant.token_policy.admins_only and caller.role is not Role.ADMIN:
            raise Forbidden(f"tenant {tenant.slug} lets only admins create tokens")
        name = request.name.strip()
        if not 1 <= len(name) <= NAME_MAX:
            raise InvalidInput("name", f"must be 1 to {NAME_MAX} characters")
        now = self._clock.now()
        expires_at = self._expiry(caller, tenant, request, now)
        ceiling = self._ceiling(caller, request.ceiling)
        value = token_format.generate(self._prefix)
        token = StoredToken(
            digest=self._hasher.digest(value),
            id=ids.sortable_id("tok", int(now.timestamp() * 1000)),
            kind=CredentialKind.TOKEN,
            owner=caller.subject,
            name=name,
            created_at=now,
            expires_at=expires_at,
            tenant=tenant.slug,
            ceiling=ceiling,
            created_by=caller.credential_id,
        )
        self._tokens.put(token)
        return CreatedToken(token=token, value=value)

    def _tenant_of(self, caller: Caller) -> Tenant:
        if caller.tenant is None:
            raise Forbidden("this route needs a tenant")
        tenant = self._identities.get_tenant(caller.tenant)
        if tenant is None:
            raise NotFound(f"tenant {caller.tenant} not found")
        return tenant

    @staticmethod
    def _expiry(caller: Caller, tenant: Tenant, request: NewToken, now: datetime) -> datetime:
        if request.expiry_date is not None and request.expires_in_days is not None:
            raise InvalidInput(
                "expiry_date", "give either expiry_date or expires_in_days, not both"
            )
        latest = now + timedelta(days=tenant.token_policy.max_days)
        if request.expires_in_days is not None:
            days = request.expires_in_days
            if not DAYS_MIN <= days <= min(DAYS_MAX, tenant.token_policy.max_days):
                top = min(DAYS_MAX, tenant.token_policy.max_days)
                raise InvalidInput("expires_in_days", f"must be between {DAYS_MIN} and {top}")
            expires_at = now + timedelta(days=days)
            field = "expires_in_days"
        elif request.expiry_date is not None:
            expires_at = _as_utc(request.expiry_date)
            field = "expiry_date"
            if expires_at <= now:
                raise InvalidInput("expiry_date", "must be in the future")
            if expires_at > latest:
                raise InvalidInput(
                    "expiry_date",
                    f"must be at most {tenant.token_policy.max_days} days from now",
                )
        else:
            expires_at = latest
            field = ""
        parent_expiry = caller.expires_at if caller.kind is CredentialKind.TOKEN else None
        if parent_expiry is not None and expires_at > parent_expiry:
            if field:
                raise InvalidInput(
                    field,
                    "a token cannot create a token that outlives it; choose an earlier expiry",
                )
            expires_at = parent_expiry
        return expires_at

    @staticmethod
    def _ceiling(caller: Caller, requested: Role | None) -> Role | None:
        if caller.kind is not CredentialKind.TOKEN or caller.ceiling is None:
            return requested
        if requested is None:
            return caller.ceiling
        if requested.rank > caller.ceiling.rank:
            raise InvalidInput(
                "ceiling", f"must not be above {caller.ceiling.value}, the ceiling of this token"
            )
        return requested

    def list(self, caller: Caller, cursor: str | None, limit: int) -> TokenPage:
        """The caller's tokens, newest first; never a value or a digest."""
        self._personal(caller)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise InvalidInput("limit", f"must be between 1 and {LIST_LIMIT_MAX}")
        if cursor is not None and not ids.is_id(cursor, "tok"):
            raise InvalidInput("cursor", "is not a cursor this API returned")
        return self._tokens.list_for_owner(caller.subject, cursor, limit)

    def delete(self, caller: Caller, token_id: str) -> None:
        """Delete one of the caller's tokens; it is refused from the next request on."""
        self._personal(caller)
        token = self._tokens.find(caller.subject, token_id) if ids.is_id(token_id, "tok") else None
        if token is None or not self._tokens.delete(token):
            raise NotFound(f"token {token_id} not found")

    def revoke_all(self, caller: Caller) -> int:
        """Revoke every token of the caller: at once by watermark, then delete them all."""
        self._personal(caller)
        self._identities.revoke_tokens_before(caller.subject, self._clock.now())
        deleted = 0
        cursor: str | None = None
        while True:
            page = self._tokens.list_for_owner(caller.subject, cursor, LIST_LIMIT_MAX)
            deleted += self._tokens.delete_many(page.tokens)
            if page.next_cursor is None:
                return deleted
            cursor = page.next_cursor

    @staticmethod
    def _personal(caller: Caller) -> None:
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens have no personal tokens")
