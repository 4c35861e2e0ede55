"""Stream tickets: a signed, read-only ticket for one run's log stream (domain.stream_ticket),
so that a browser's EventSource, which cannot send `Authorization`, can follow it; issued to a
person's credential, checked again at every use against the credential that asked for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sculptops.domain.admission import lineage
from sculptops.domain.errors import Forbidden, NotAuthenticated, Unavailable
from sculptops.domain.identity import ACTIVE, Caller, CredentialKind, Principal
from sculptops.domain.roles import Role
from sculptops.domain.rotation import UseState, use_state
from sculptops.domain.stream_ticket import StreamTicket, StreamTickets
from sculptops.domain.tokens import StoredToken

if TYPE_CHECKING:  # annotations only: the authorizer imports this on its cold start
    from sculptops.ports import Clock, IdentityStore, TokenStore


class StreamAccess:
    def __init__(
        self,
        *,
        key: bytes | None,
        tokens: TokenStore,
        identities: IdentityStore,
        clock: Clock,
        act_in: Callable[[Principal, str | None], Caller],
        admit: Callable[[str, Role, str, tuple[str, ...], datetime | None, datetime | None], None],
    ) -> None:
        self._tickets = StreamTickets(key) if key else None
        self._tokens = tokens
        self._identities = identities
        self._clock = clock
        self._act_in = act_in
        # "may this personal token act in this tenant now": the authorizer's own check
        self._admit = admit

    def issue(self, caller: Caller, execution_id: str) -> StreamTicket:
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

    def authenticate(self, ticket: str, tenant_ref: str | None, execution_id: str) -> Caller:
        """The caller a stream ticket stands for: its user, in its tenant, as at most a viewer.

        Only for a GET on the log stream of that very run (`stream_ticket_in`). NotAuthenticated
        for a malformed, forged, expired or other-run or other-tenant ticket, one issued before
        its user revoked all their tokens, or one asked for by a personal token that is now
        deleted, revoked or expired, or that the tenant now refuses (`Authenticator.admit_token`:
        blocked there, over the lifetime policy, admins only); Forbidden once the user left the
        tenant. A ticket asked for
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
        caller = self._act_in(principal, verified.tenant)
        role = user.role_in(verified.tenant)
        if token is not None and role is not None:
            # Everything the token itself is checked for in this tenant, on every use: its
            # admins' block, the lifetime policy, admins only.
            self._admit(
                verified.tenant, role, token.id, lineage(token), token.created_at, token.expires_at
            )
        return caller

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
        if use_state(stored, now) is UseState.REUSED:
            raise NotAuthenticated("revoked")  # rotated away, its overlap over
        return stored
