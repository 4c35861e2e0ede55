"""The one authentication routine, shared by the Lambda authorizer and the local gateway."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sculptops.domain import token_format
from sculptops.domain.admission import check_token_in, lineage
from sculptops.domain.errors import Forbidden, NotAuthenticated
from sculptops.domain.identity import (
    ACTIVE,
    Caller,
    CredentialKind,
    Principal,
    RequestOrigin,
    User,
    is_valid_slug,
)
from sculptops.domain.presented import looks_like_jwt
from sculptops.domain.roles import Role
from sculptops.domain.rotation import UseState, clean_ip, power_ends, use_state
from sculptops.domain.stream_ticket import StreamTicket, derive_key
from sculptops.observability import scrub
from sculptops.services.credential_lookup import CredentialLookup, TenantRead
from sculptops.services.stream_access import StreamAccess
from sculptops.services.token_use import TokenUse

if TYPE_CHECKING:  # annotations only: the authorizer imports this on its cold start
    from sculptops.ports import (
        AccessTokenVerifier,
        Clock,
        CredentialReader,
        IdentityStore,
        TokenLedger,
        TokenStore,
    )

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthConfig:
    token_prefix: str
    agent_prefix: str
    # Derived from the token pepper (domain.stream_ticket.derive_key); None: no stream tickets.
    stream_ticket_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, token_prefix: str, agent_prefix: str, pepper: bytes | None) -> AuthConfig:
        """The prefixes, and the stream tickets' key derived from the token pepper (none
        without a pepper: stream URLs are then refused)."""
        return cls(token_prefix, agent_prefix, derive_key(pepper) if pepper else None)


class Authenticator:
    """Turns a credential into a Principal, and a Principal plus a tenant into a Caller."""

    def __init__(
        self,
        *,
        config: AuthConfig,
        tokens: TokenStore,
        identities: IdentityStore,
        hasher: token_format.TokenHasher,
        clock: Clock,
        jwt_verifier: AccessTokenVerifier | None,
        ledger: TokenLedger | None = None,
        reads: CredentialReader | None = None,
    ) -> None:
        self._config = config
        # The token, its owner and the request's tenant: in one request with `reads`.
        self._lookup = CredentialLookup(tokens, identities, hasher, reads)
        self._tokens = tokens
        self._identities = identities
        self._hasher = hasher
        self._clock = clock
        self._jwt = jwt_verifier
        self._use = TokenUse(tokens=tokens, ledger=ledger)
        self._streams = StreamAccess(
            key=config.stream_ticket_key,
            tokens=tokens,
            identities=identities,
            clock=clock,
            act_in=self.act_in,
            admit=self.admit_token,
        )

    def authenticate(
        self, credential: str | None, origin: RequestOrigin | None = None
    ) -> Principal:
        """Who presents this credential. NotAuthenticated for anything not usable right now.

        `origin` is where the request came from, as API Gateway saw it: its source IP goes into
        the token's last-used IPs, and into the audit event if the value was a reused one.
        """
        return self.identify(credential, origin)[0]

    def identify(
        self,
        credential: str | None,
        origin: RequestOrigin | None = None,
        tenant_ref: str | None = None,
    ) -> tuple[Principal, TenantRead | None]:
        """`authenticate`, reading the tenant of the request (`tenant_ref`, a slug) in the same
        request as a personal token where the store can: pass the TenantRead to `act_in`.

        Round trips with a CredentialReader: a personal token on a tenant's route, 1 (the token,
        its owner by the owner key in the value, and the tenant); on `/api`'s active tenant 2
        (then that tenant); 1 on a route without a tenant when the owner has no active tenant;
        a token made before values carried the owner key, one more (the owner after the token);
        an agent token 1; a JWT 1; a malformed value 0.
        """
        if not credential or len(credential) > 8192:
            raise NotAuthenticated("missing")
        where = origin or RequestOrigin()
        if credential.startswith(self._config.agent_prefix):
            prefix = self._config.agent_prefix
            return self._token(credential, prefix, CredentialKind.AGENT, where, None)
        if credential.startswith(self._config.token_prefix):
            slug = tenant_ref if tenant_ref and is_valid_slug(tenant_ref) else None
            prefix = self._config.token_prefix
            return self._token(credential, prefix, CredentialKind.TOKEN, where, slug)
        if looks_like_jwt(credential):
            return self._access_token(credential), None
        raise NotAuthenticated("malformed")

    def _token(
        self,
        value: str,
        prefix: str,
        kind: CredentialKind,
        origin: RequestOrigin,
        slug: str | None,
    ) -> tuple[Principal, TenantRead | None]:
        parsed = token_format.parse(value, prefix)
        if parsed is None:
            # A mistyped or invented token: refused before any read.
            raise NotAuthenticated("malformed")
        digest = self._hasher.digest(value)
        key = parsed.owner_key if kind is CredentialKind.TOKEN else None
        stored, owner_read, tenant_read = self._lookup.read(digest, key, slug)
        if stored is None or not self._hasher.same(stored.digest, digest):
            raise NotAuthenticated("unknown")
        if stored.kind != kind:
            raise NotAuthenticated("unknown")
        now = self._clock.now()
        if stored.expired(now):
            raise NotAuthenticated("expired")
        user = None
        if kind is CredentialKind.TOKEN:
            user = self._lookup.owner(stored, key, owner_read)
            revoked_before = user.tokens_revoked_before
            if revoked_before is not None and stored.created_at <= revoked_before:
                raise NotAuthenticated("revoked")
        if use_state(stored, now) is UseState.REUSED:
            # A rotated-away value after its overlap: whoever holds it should not. Revoke the
            # whole family (the current value too), then refuse like any other 401.
            self._use.revoke_family(stored, user, now, origin)
            raise NotAuthenticated("reused")
        self._use.record(stored, now, clean_ip(origin.source_ip))
        principal = Principal(
            kind=kind,
            subject=stored.owner,
            user=user,
            credential_id=stored.id,
            credential_name=stored.name,
            expires_at=power_ends(stored),
            lifetime_ends=stored.expires_at,
            ceiling=stored.ceiling,
            agent_tenant=stored.tenant if kind is CredentialKind.AGENT else None,
            created_at=stored.created_at,
            lineage=lineage(stored) if kind is CredentialKind.TOKEN else (),
        )
        return principal, tenant_read

    def _access_token(self, jwt: str) -> Principal:
        if self._jwt is None:
            raise NotAuthenticated("jwt-disabled")
        claims = self._jwt.verify(jwt)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise NotAuthenticated("no-subject")
        user = self._identities.get_user(subject)
        if user is None:
            user = self._invited(claims)
        if user is None:
            raise Forbidden("no SculptOps account for this identity")
        subject = user.id
        exp = claims.get("exp")
        expires = None
        if isinstance(exp, int | float):
            expires = datetime.fromtimestamp(exp, UTC)
        return Principal(kind=CredentialKind.JWT, subject=subject, user=user, expires_at=expires)

    def _invited(self, claims: Mapping[str, object]) -> User | None:
        """A user an admin added by email (its id is that email), matched on sign-in by the
        identity provider's verified email claim; a key read, like every other."""
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is not True:
            return None
        user = self._identities.get_user(email.strip().lower())
        return user if user is not None and user.email == email.strip().lower() else None

    def issue_stream_ticket(self, caller: Caller, execution_id: str) -> StreamTicket:
        """A ticket for one run's log stream (services.stream_access)."""
        return self._streams.issue(caller, execution_id)

    def authenticate_stream_ticket(
        self, ticket: str, tenant_ref: str | None, execution_id: str
    ) -> Caller:
        """The caller a stream ticket stands for (services.stream_access)."""
        return self._streams.authenticate(ticket, tenant_ref, execution_id)

    def act_in(
        self, principal: Principal, tenant_ref: str | None, read: TenantRead | None = None
    ) -> Caller:
        """The principal acting in a tenant (a slug, `active`, or None for tenant-less routes).

        `read`: the tenant as `identify` read it with the token, used instead of reading again.
        """
        if principal.kind is CredentialKind.AGENT:
            tenant = principal.agent_tenant
            if tenant_ref not in (None, ACTIVE, tenant):
                raise Forbidden("an agent token acts only in its own tenant")
            return _caller(principal, tenant, None)
        user = principal.user
        if user is None:  # pragma: no cover - guarded by authenticate
            raise NotAuthenticated("no-user")
        slug: str | None
        if tenant_ref is None:
            slug = user.active_tenant if user.active_tenant in user.memberships else None
        elif tenant_ref == ACTIVE:
            slug = user.active_tenant
            if slug is None or slug not in user.memberships:
                raise Forbidden("no active tenant: use /api/v1/{tenant_id}/... with a tenant slug")
        else:
            if not is_valid_slug(tenant_ref):
                # The answer of a real tenant one is not a member of: no probing which exist.
                raise Forbidden(f"not a member of tenant {scrub(tenant_ref)[:64]}")
            slug = tenant_ref
        role: Role | None = None
        if slug is not None:
            member_role = user.role_in(slug)
            if member_role is None:
                raise Forbidden(f"not a member of tenant {slug}")
            role = Role.lowest(member_role, principal.ceiling)
            if principal.kind is CredentialKind.TOKEN and principal.credential_id:
                self.admit_token(
                    slug,
                    member_role,
                    principal.credential_id,
                    principal.lineage,
                    principal.created_at,
                    principal.lifetime_ends,  # its own lifetime, never a rotation's overlap
                    read,
                )
        return _caller(principal, slug, role)

    def admit_token(
        self,
        slug: str,
        member_role: Role,
        token_id: str,
        token_lineage: tuple[str, ...],
        created_at: datetime | None,
        expires_at: datetime | None,
        read: TenantRead | None = None,
    ) -> None:
        """Whether a personal token may act in the tenant now (domain.admission.check_token_in:
        not revoked there by its admins, within its lifetime policy, admins only if so set),
        for the token itself and for a stream ticket it asked for alike. The tenant is read by
        key, strongly consistent; agent tokens and JWTs are outside the policy."""
        if read is not None and read.slug == slug:
            tenant = read.tenant  # read with the token, strongly consistent, this request
        else:
            tenant = self._identities.get_tenant(slug)
        if tenant is None or created_at is None:
            raise NotAuthenticated("no-tenant")
        check_token_in(tenant, member_role, token_id, token_lineage, created_at, expires_at)


def _caller(principal: Principal, tenant: str | None, role: Role | None) -> Caller:
    return Caller(
        kind=principal.kind,
        subject=principal.subject,
        tenant=tenant,
        role=role,
        credential_id=principal.credential_id,
        credential_name=principal.credential_name,
        expires_at=principal.expires_at,
        ceiling=principal.ceiling,
    )
