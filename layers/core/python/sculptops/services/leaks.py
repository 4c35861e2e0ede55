"""Public revocation of leaked tokens (GitHub's credential revocation API).

Anyone, without authentication, may post up to 1,000 values that look like leaked tokens; each
one that is a live token is revoked, its owner told (a notice) and the revocation written to
the audit log of each tenant it could act in (`token.revoked_as_leaked`). The answer never says
which values were tokens, by its content or by its timing, so the work is split in two:

- `LeakIntake`, on the request path: checks the list's shape, hashes EVERY value (malformed ones
  too, with the same hash) and hands the digests of the well-formed ones to a `LeakDispatcher`
  WITHOUT reading the table. Its work depends only on the number and format of the values,
  which the caller knows, never on whether any is live (issue 14: a synchronous revocation was
  an oracle, and 50 live tokens in one request a 15 s lever).
- `LeakedTokenService.revoke_batch`, out of band (an asynchronous Lambda invocation on AWS, a
  bounded background queue locally): one batched read by key of every digest, then each live
  token's revocation through the ledger.

Values are never logged, stored or returned; digests travel only in the worker's payload.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sculptops.domain import ids, token_format
from sculptops.domain.errors import Conflict, SculptOpsError
from sculptops.domain.expiry_notices import SOURCE, OutboundEvent
from sculptops.domain.governance import Actor, AuditEvent, AuditType, Notification
from sculptops.domain.identity import CredentialKind, RequestOrigin
from sculptops.domain.leak_batches import LeakBatch, batch_of, encode_batch
from sculptops.domain.tokens import StoredToken, descendants
from sculptops.ports import (
    Clock,
    EventPublisher,
    IdentityStore,
    LeakDispatcher,
    TokenLedger,
    TokenLookup,
    TokenStore,
)

log = logging.getLogger(__name__)

DETAIL_TYPE = "Token Revoked As Leaked"
# Nobody signed in: the revocation is recorded as the public route's, with the request's origin.
PUBLIC = Actor(user_id=None, credential_id=None, credential_kind=None)


@dataclass(frozen=True)
class LeakReport:
    """For the logs and tests only: the HTTP answer never carries it."""

    received: int
    revoked: int


class LeakIntake:
    """The request path of POST /api/v1/credentials/revoke: constant work, no read.

    Every accepted request, an empty list included, is handed to the dispatcher, so that the
    request's own time does not depend on what was posted beyond its count and format."""

    def __init__(
        self,
        *,
        dispatcher: LeakDispatcher,
        hasher: token_format.TokenHasher,
        token_prefix: str,
        agent_prefix: str,
    ) -> None:
        self._dispatcher = dispatcher
        self._hasher = hasher
        self._prefixes = {CredentialKind.TOKEN: token_prefix, CredentialKind.AGENT: agent_prefix}

    def accept(self, values: Sequence[object], origin: RequestOrigin) -> int:
        """Hand the values' digests to the worker; the number of values received.

        Raises InvalidInput for a bad shape, Unavailable when the worker cannot take more."""
        batch = batch_of(values, origin, self._hasher, self._prefixes)
        self._dispatcher.submit(encode_batch(batch.to_payload()))
        return len(values)


class LeakedTokenService:
    def __init__(
        self,
        *,
        lookup: TokenLookup,
        tokens: TokenStore,
        ledger: TokenLedger,
        identities: IdentityStore,
        events: EventPublisher,
        hasher: token_format.TokenHasher,
        clock: Clock,
        token_prefix: str,
        agent_prefix: str,
    ) -> None:
        self._lookup = lookup
        self._tokens = tokens
        self._ledger = ledger
        self._identities = identities
        self._events = events
        self._hasher = hasher
        self._clock = clock
        self._prefixes = {CredentialKind.TOKEN: token_prefix, CredentialKind.AGENT: agent_prefix}

    def revoke(self, values: Sequence[object], origin: RequestOrigin) -> LeakReport:
        """Intake and worker in one call, synchronously: for tests and benchmarks only (the
        route answers before the revocation, `LeakIntake`)."""
        batch = batch_of(values, origin, self._hasher, self._prefixes)
        report = self.revoke_batch(batch)
        return LeakReport(received=len(values), revoked=report.revoked)

    def revoke_batch(self, batch: LeakBatch) -> LeakReport:
        """The worker: one batched read by key of every digest, then revoke each live token."""
        wanted = dict(batch.digests)
        found = self._lookup.get_many(wanted) if wanted else []
        # A stored token counts only for a value of its own kind's format (checksum included).
        leaked = [t for t in found if wanted.get(t.digest) is t.kind]
        revoked = sum(1 for token in leaked if self._revoke_one(token, batch.origin))
        return LeakReport(received=len(wanted), revoked=revoked)

    def _revoke_one(self, token: StoredToken, origin: RequestOrigin) -> bool:
        """Revoke one token; never raises: the answer must not differ (it is logged)."""
        now = self._clock.now()
        try:
            for _ in range(2):  # once more after a concurrent transaction got in the way
                try:
                    done = self._write(token, origin, now)
                    break
                except Conflict:
                    continue
            else:
                done = False
        except (SculptOpsError, ValueError) as exc:
            log.error("revoking a leaked token %s failed: %s", token.id, type(exc).__name__)
            return False
        if done and token.kind is CredentialKind.TOKEN:
            self._revoke_minted(token)
        if done:
            self._events.publish([_event(token, now)])
            log.warning("revoked leaked token %s of %s", token.id, token.owner)
        return done

    def _write(self, token: StoredToken, origin: RequestOrigin, now: datetime) -> bool:
        if token.kind is CredentialKind.AGENT:
            # An agent token belongs to one tenant and to no person: the audit event is the
            # record; the agent fails from its next request until an admin registers it anew.
            tenants = [token.tenant] if token.tenant else []
            return self._ledger.revoke([token], [_audit(token, t, origin, now) for t in tenants])
        user = self._identities.get_user(token.owner)
        tenants = sorted(user.memberships) if user is not None else []
        if not tenants and token.tenant:
            tenants = [token.tenant]
        events = [_audit(token, t, origin, now) for t in tenants]
        return self._ledger.revoke([token], events, _notice(token, now), unlink_from=tenants)

    def _revoke_minted(self, token: StoredToken) -> None:
        """The tokens it minted go too: whoever held the leaked one may have made them."""
        try:
            owned: list[StoredToken] = []
            cursor: str | None = None
            while True:
                page = self._tokens.list_for_owner(token.owner, cursor, 1000)
                owned.extend(page.tokens)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
            self._tokens.delete_many(descendants(owned, [token.id]))
        except SculptOpsError as exc:
            log.error("revoking tokens minted by %s failed: %s", token.id, type(exc).__name__)


def _audit(token: StoredToken, tenant: str, origin: RequestOrigin, now: datetime) -> AuditEvent:
    return AuditEvent(
        id=ids.sortable_id("evt", int(now.timestamp() * 1000)),
        tenant=tenant,
        type=AuditType.TOKEN_REVOKED_LEAKED,
        at=now,
        actor=PUBLIC,
        target_type="token",
        target_id=token.id,
        target_user=token.owner,
        origin=origin,
        details={"name": token.name, "kind": token.kind.value, "via": "credentials/revoke"},
    )


def _notice(token: StoredToken, now: datetime) -> Notification:
    return Notification(
        id=ids.sortable_id("ntf", int(now.timestamp() * 1000)),
        user_id=token.owner,
        type=AuditType.TOKEN_REVOKED_LEAKED.value,
        created_at=now,
        message=(
            f"Your token {token.name!r} ({token.id}) was found in public and revoked as leaked"
            " (POST /api/v1/credentials/revoke). Create a new one, and look for where the old"
            " value was exposed."
        ),
        token_id=token.id,
        tenant=token.tenant,
    )


def _event(token: StoredToken, now: datetime) -> OutboundEvent:
    return OutboundEvent(
        source=SOURCE,
        detail_type=DETAIL_TYPE,
        detail={
            "notice_type": AuditType.TOKEN_REVOKED_LEAKED.value,
            "user_id": token.owner,
            "token_id": token.id,
            "token_name": token.name,
            "kind": token.kind.value,
            "tenant": token.tenant,
            "revoked_at": now.isoformat(),
        },
    )
