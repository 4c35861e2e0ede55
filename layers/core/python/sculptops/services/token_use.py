"""What the authorizer does with a token it accepted or caught being reused.

- Last use: `last_used_at` and the five most recent distinct source IPs, written at most once a
  minute per token by one conditional write over the value that was read (optimistic). A lost
  race re-reads once and merges this request's IP if it is new; otherwise the use is already
  recorded (by the winner, less than a minute ago) and nothing more is written.
- Reuse: a rotated-away value presented after its overlap revokes every token of its rotation
  family (GitLab 16.3) and every token any of them minted, transitively: one Query on the
  owner's index, then the deletes, a `token.reuse_detected` audit event per token in each
  tenant of the owner and a notice to the owner, in transactions of at most 100 items.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sculptops.domain import ids
from sculptops.domain.errors import Unavailable
from sculptops.domain.identity import RequestOrigin, User
from sculptops.domain.rotation import family_members, touch_due, with_ip
from sculptops.domain.tokens import StoredToken, descendants

if TYPE_CHECKING:  # annotations only: the authorizer imports this on its cold start
    from sculptops.domain.governance import AuditEvent, Notification
    from sculptops.ports import TokenLedger, TokenStore

log = logging.getLogger(__name__)

TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit
PAGE = 1000


class TokenUse:
    def __init__(self, *, tokens: TokenStore, ledger: TokenLedger | None) -> None:
        self._tokens = tokens
        self._ledger = ledger

    def record(self, token: StoredToken, now: datetime, source_ip: str | None) -> bool:
        """Record this use if due (at most once a minute per token); True if it wrote.

        Bookkeeping only: a throttled or failed write never turns a valid request away.
        """
        if not touch_due(token, now):
            return False
        try:
            if self._tokens.record_use(token, now, with_ip(token.last_used_ips, source_ip)):
                return True
            # Lost to a concurrent use (or the token is gone): read once more, keep this IP.
            current = self._tokens.get(token.digest)
            if current is None or source_ip is None or source_ip in current.last_used_ips:
                return False
            when = max(now, current.last_used_at or now)
            return self._tokens.record_use(current, when, with_ip(current.last_used_ips, source_ip))
        except Unavailable:
            log.warning("last use not recorded: store unavailable")
            return False

    def revoke_family(
        self, reused: StoredToken, user: User | None, now: datetime, origin: RequestOrigin
    ) -> int:
        """Revoke every token of the reused token's rotation family and every token any of them
        minted, transitively; how many were deleted. Each gets a `token.reuse_detected` event in
        every tenant of the owner.

        Never raises Unavailable: the request is refused (401) whatever happens here, and the
        next presentation of the value tries again.
        """
        if self._ledger is None:  # pragma: no cover - every container has a ledger
            return self._tokens.delete_many(self._doomed(reused))
        tenants = sorted(user.memberships) if user is not None else []
        if not tenants and reused.tenant:
            tenants = [reused.tenant]
        try:
            for _attempt in range(2):  # a token deleted meanwhile: read the family again once
                doomed = self._doomed(reused)
                if not doomed:
                    return 0
                notice = self._notice(reused, now)
                done = self._revoke_in_batches(reused, doomed, tenants, notice, now, origin)
                if done is not None:
                    return done
        except Unavailable:
            log.warning("reuse detected, family not yet revoked: store unavailable")
        return 0

    def _revoke_in_batches(
        self,
        reused: StoredToken,
        doomed: list[StoredToken],
        tenants: list[str],
        notice: Notification,
        now: datetime,
        origin: RequestOrigin,
    ) -> int | None:
        """Delete the tokens, each with its events, in transactions of at most 100 items; the
        first carries the owner's notice. None when the first batch found a token gone (read
        again); a later batch that does is retried one token at a time."""
        assert self._ledger is not None
        # Each token costs its delete, one index entry and one event per tenant.
        per_token = 1 + 2 * len(tenants)
        room = max(1, (TRANSACTION_ITEMS - 1) // per_token)
        count = 0
        for start in range(0, len(doomed), room):
            batch = doomed[start : start + room]
            note = notice if start == 0 else None
            events = [
                self._event(reused, t, len(doomed), x, now, origin) for t in batch for x in tenants
            ]
            if self._ledger.revoke(batch, events, note, unlink_from=tenants):
                count += len(batch)
                continue
            if start == 0:
                return None
            for token in batch:  # one of them went meanwhile (with its own event)
                one = [self._event(reused, token, len(doomed), x, now, origin) for x in tenants]
                count += self._ledger.revoke([token], one, None, unlink_from=tenants)
        return count

    def _doomed(self, reused: StoredToken) -> list[StoredToken]:
        """The family, then every token any member of it minted (by `created_by` or lineage)."""
        owned: list[StoredToken] = []
        cursor: str | None = None
        for _page in range(100):  # bounded: 100 pages of 1000 tokens
            page = self._tokens.list_for_owner(reused.owner, cursor, PAGE)
            owned.extend(page.tokens)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        family = family_members(owned, reused.family_id)
        doomed = {t.id: t for t in family}
        # Lineage families catch what a member minted even if that member's item is gone.
        doomed.update((t.id, t) for t in owned if reused.family_id in t.lineage_families)
        doomed.update((t.id, t) for t in descendants(owned, [*doomed]))
        return list(doomed.values())

    @staticmethod
    def _event(
        reused: StoredToken,
        token: StoredToken,
        count: int,
        tenant: str,
        now: datetime,
        origin: RequestOrigin,
    ) -> AuditEvent:
        details: dict[str, str | int | bool | None] = {
            "name": token.name,
            "family": reused.family_id,
            "reused": reused.id,
            "count": count,
        }
        if token.family_id != reused.family_id:
            details["minted_by"] = token.created_by
        # Here, not at import: the authorizer loads governance's records only for a reuse.
        from sculptops.domain.governance import Actor, AuditEvent, AuditType

        return AuditEvent(
            id=ids.sortable_id("evt", int(now.timestamp() * 1000)),
            tenant=tenant,
            type=AuditType.TOKEN_REUSE_DETECTED,
            at=now,
            # Whoever presented the value: the owner's identity, by that token.
            actor=Actor(user_id=reused.owner, credential_id=reused.id, credential_kind=reused.kind),
            target_type="token",
            target_id=token.id,
            target_user=reused.owner,
            origin=origin,
            details=details,
        )

    @staticmethod
    def _notice(reused: StoredToken, now: datetime) -> Notification:
        from sculptops.domain.governance import AuditType, Notification

        return Notification(
            id=ids.sortable_id("ntf", int(now.timestamp() * 1000)),
            user_id=reused.owner,
            type=AuditType.TOKEN_REUSE_DETECTED.value,
            created_at=now,
            message=(
                f"Token {reused.name} ({reused.id}) was presented after it had been rotated "
                "away: reuse detected. Every token of its rotation family is revoked; create "
                "a new one."
            ),
            token_id=reused.id,
            tenant=reused.tenant,
        )
