"""The one authentication routine, shared by the Lambda authorizer and the local gateway."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sculptops.domain import token_format
from sculptops.domain.errors import Forbidden, NotAuthenticated, Unavailable
from sculptops.domain.identity import (
    ACTIVE,
    Caller,
    CredentialKind,
    Principal,
    User,
    is_valid_slug,
)
from sculptops.domain.roles import Role
from sculptops.domain.stream_ticket import StreamTicket, StreamTickets
from sculptops.domain.tokens import StoredToken
from sculptops.observability import scrub
from sculptops.ports import AccessTokenVerifier, Clock, IdentityStore, TokenStore

log = logging.getLogger(__name__)

# last_used_at is written at most this often per token, so the hot path usually writes nothing.
TOUCH_EVERY = timedelta(minutes=5)
# The one route a stream ticket opens, on both surfaces (API Gateway resource paths), GET only.
STREAM_RESOURCES = frozenset(
    {"/api/v1/{tenant_id}/executions/{id}/logs/stream", "/api/executions/{id}/logs/stream"}
)


@dataclass(frozen=True)
class AuthConfig:
    token_prefix: str
    agent_prefix: str
    # Derived from the token pepper (domain.stream_ticket.derive_key); None: no stream tickets.
    stream_ticket_key: bytes | None = field(default=None, repr=False)


def credential_from_headers(headers: Mapping[str, str | None]) -> str | None:
    """The credential in `Authorization: Bearer` or `X-API-Key`, header names in any case."""
    lowered = {k.lower(): v for k, v in headers.items() if v is not None}
    auth = lowered.get("authorization")
    if auth is not None:
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()
    api_key = lowered.get("x-api-key")
    if api_key is not None and api_key.strip():
        return api_key.strip()
    return None


def stream_ticket_in(
    method: str | None, resource: str | None, query: Mapping[str, list[str]] | None
) -> str | None:
    """The `ticket` query parameter of a GET on a run's log stream; None on any other request.

    A ticket given twice is returned as an empty string, which no ticket matches.
    """
    if method != "GET" or resource not in STREAM_RESOURCES or not query:
        return None
    values = query.get("ticket") or []
    if not values:
        return None
    return values[0] if len(values) == 1 else ""


def looks_like_jwt(value: str) -> bool:
    parts = value.split(".")
    return len(parts) == 3 and value.startswith("eyJ") and all(parts)


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
    ) -> None:
        self._config = config
        self._tokens = tokens
        self._identities = identities
        self._hasher = hasher
        self._clock = clock
        self._jwt = jwt_verifier
        key = config.stream_ticket_key
        self._tickets = StreamTickets(key) if key else None

    def authenticate(self, credential: str | None) -> Principal:
        """Who presents this credential. NotAuthenticated for anything not usable right now."""
        if not credential or len(credential) > 8192:
            raise NotAuthenticated("missing")
        if credential.startswith(self._config.agent_prefix):
            return self._token(credential, self._config.agent_prefix, CredentialKind.AGENT)
        if credential.startswith(self._config.token_prefix):
            return self._token(credential, self._config.token_prefix, CredentialKind.TOKEN)
        if looks_like_jwt(credential):
            return self._access_token(credential)
        raise NotAuthenticated("malformed")

    def _token(self, value: str, prefix: str, kind: CredentialKind) -> Principal:
        if not token_format.is_well_formed(value, prefix):
            # A mistyped or invented token: refused before any read.
            raise NotAuthenticated("malformed")
        digest = self._hasher.digest(value)
        stored = self._tokens.get(digest)
        if stored is None or not self._hasher.same(stored.digest, digest):
            raise NotAuthenticated("unknown")
        if stored.kind != kind:
            raise NotAuthenticated("unknown")
        now = self._clock.now()
        if stored.expired(now):
            raise NotAuthenticated("expired")
        user = None
        if kind is CredentialKind.TOKEN:
            user = self._identities.get_user(stored.owner)
            if user is None:
                raise NotAuthenticated("unknown-user")
            revoked_before = user.tokens_revoked_before
            if revoked_before is not None and stored.created_at <= revoked_before:
                raise NotAuthenticated("revoked")
        if stored.last_used_at is None or now - stored.last_used_at >= TOUCH_EVERY:
            self._touch(digest, now)
        return Principal(
            kind=kind,
            subject=stored.owner,
            user=user,
            credential_id=stored.id,
            credential_name=stored.name,
            expires_at=stored.expires_at,
            ceiling=stored.ceiling,
            agent_tenant=stored.tenant if kind is CredentialKind.AGENT else None,
            created_at=stored.created_at,
        )

    def _touch(self, digest: str, now: datetime) -> None:
        try:
            self._tokens.touch(digest, now)
        except Unavailable:
            # Bookkeeping only: a throttled write must not turn a valid request away.
            log.warning("last_used_at not recorded: store unavailable")

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
        """A ticket that lets the caller's user read one run's log stream, as at most a viewer.

        The caller must already have been allowed to read that run (the route checks it).
        """
        if self._tickets is None:
            raise Unavailable("stream URLs need SCULPTOPS_TOKEN_PEPPER to be set", 60)
        named = caller.kind is CredentialKind.TOKEN and bool(caller.credential_id)
        if caller.tenant is None or not (named or caller.kind is CredentialKind.JWT):
            raise Forbidden("only a person's credential can ask for a stream URL")
        return self._tickets.issue(
            caller.tenant,
            execution_id,
            caller.subject,
            self._clock.now(),
            caller.expires_at,
            credential=caller.kind,
            credential_id=caller.credential_id if named else None,
        )

    def authenticate_stream_ticket(
        self, ticket: str, tenant_ref: str | None, execution_id: str
    ) -> Caller:
        """The caller a stream ticket stands for: its user, in its tenant, as at most a viewer.

        Only for a GET on the log stream of that very run (`stream_ticket_in`). NotAuthenticated
        for a malformed, forged, expired or other-run or other-tenant ticket, one issued before
        its user revoked all their tokens, or one asked for by a personal token that is now
        deleted, revoked or expired; Forbidden once the user left the tenant. A ticket asked for
        by an access token (JWT) ends with that JWT's expiry, which it carries.
        """
        if self._tickets is None:
            raise NotAuthenticated("tickets-disabled")
        now = self._clock.now()
        verified = self._tickets.verify(ticket, execution_id, now)
        if tenant_ref not in (ACTIVE, verified.tenant):
            raise NotAuthenticated("bad-ticket")
        token = self._ticket_token(verified, now)
        user = self._identities.get_user(verified.subject)
        if user is None:
            raise NotAuthenticated("unknown-user")
        revoked_before = user.tokens_revoked_before
        if revoked_before is not None and verified.issued_at < revoked_before:
            raise NotAuthenticated("revoked")
        if revoked_before is not None and token is not None and token.created_at <= revoked_before:
            raise NotAuthenticated("revoked")
        principal = Principal(
            kind=CredentialKind.TICKET,
            subject=user.id,
            user=user,
            expires_at=verified.expires_at,
            ceiling=Role.VIEWER,
        )
        return self.act_in(principal, verified.tenant)

    def _ticket_token(self, ticket: StreamTicket, now: datetime) -> StoredToken | None:
        """The personal token that asked for the ticket, if one did; NotAuthenticated once it
        is gone (deleted, revoked one by one or by a ceiling token's revoke-all) or expired.

        The owner's index finds it by id, but an index read is eventually consistent and could
        still show a token deleted a moment ago; so the token is then read again by its digest
        on the primary key, strongly consistent, as `authenticate` reads it. The digest never
        leaves this process.
        """
        if ticket.credential is not CredentialKind.TOKEN or ticket.credential_id is None:
            return None
        found = self._tokens.find(ticket.subject, ticket.credential_id)
        if found is None:
            raise NotAuthenticated("revoked")
        stored = self._tokens.get(found.digest)
        if (
            stored is None
            or stored.id != ticket.credential_id
            or stored.owner != ticket.subject
            or stored.kind is not CredentialKind.TOKEN
        ):
            raise NotAuthenticated("revoked")
        if stored.expired(now):
            raise NotAuthenticated("expired")
        return stored

    def act_in(self, principal: Principal, tenant_ref: str | None) -> Caller:
        """The principal acting in a tenant (a slug, `active`, or None for tenant-less routes)."""
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
            self._within_policy(principal, slug)
        return _caller(principal, slug, role)

    def _within_policy(self, principal: Principal, slug: str) -> None:
        """A personal token whose lifetime (creation to expiry) exceeds the tenant's current
        maximum is refused there (401), as GitHub enforces its lifetime policies. The tenant
        is read by key, strongly consistent; agent tokens and JWTs are outside the policy."""
        if principal.kind is not CredentialKind.TOKEN or principal.created_at is None:
            return
        tenant = self._identities.get_tenant(slug)
        if tenant is None:
            raise NotAuthenticated("no-tenant")
        if principal.expires_at is None or principal.expires_at - principal.created_at > (
            timedelta(days=tenant.token_policy.max_days)
        ):
            raise NotAuthenticated("policy")


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
