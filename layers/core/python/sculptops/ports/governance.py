"""Ports of tenant governance: members, the token policy, the token ledger (token writes with
their audit event, the per-tenant token index), the audit log and users' notifications.

A change of state and its audit event are written in ONE transaction: a port method that writes
both lives where it can build both items.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sculptops.domain.governance import (
        AuditEvent,
        AuditPage,
        AuditType,
        Member,
        Notification,
        NotificationPage,
    )
    from sculptops.domain.identity import TokenPolicy, User
    from sculptops.domain.tokens import StoredToken, TokenPage


class MemberStore(Protocol):
    """A tenant's members, serialised by the tenant's membership revision."""

    def list_members(self, tenant: str) -> tuple[list[Member], int]:
        """Every member of the tenant (strongly consistent) and the tenant's membership
        revision, which `change_member` checks: a concurrent change makes it Conflict."""
        ...

    def change_member(
        self,
        tenant: str,
        revision: int,
        before: User | None,
        after: User,
        member: Member | None,
        event: AuditEvent,
    ) -> None:
        """Write the user (created when `before` is None, else only if its memberships are
        still `before`'s), the tenant's member item (deleted when `member` is None), the next
        revision and the event, in one transaction; Conflict if anything moved meanwhile."""
        ...


class PolicyStore(Protocol):
    def set_policy(self, tenant: str, policy: TokenPolicy, event: AuditEvent) -> None:
        """Write the tenant's token policy and the event, in one transaction; Conflict if the
        tenant is gone or changed meanwhile."""
        ...


class TokenLedger(Protocol):
    """Token writes that carry their audit event (and the owner's notice) in one transaction,
    and the per-tenant token index behind the admins' list."""

    def create(self, token: StoredToken, tenants: Iterable[str], event: AuditEvent) -> None:
        """Store a new token, its index entry in each tenant and the event, in one transaction;
        Conflict if the digest exists."""
        ...

    def revoke(
        self,
        tokens: Sequence[StoredToken],
        events: Sequence[AuditEvent],
        notice: Notification | None = None,
        *,
        unlink_from: Iterable[str] = (),
    ) -> bool:
        """Delete `tokens` (each only if it still exists for its owner), their index entries in
        the tenants `unlink_from`, and write `events` (the reason is the event's type and
        details: deleted by its owner, revoked by an admin, as leaked, reuse detected...) and
        the owner's `notice`, all in ONE transaction (at most 100 items: ValueError beyond).
        False, writing nothing, when a token was gone; Conflict when a concurrent transaction
        got in the way (retry)."""
        ...

    def block(
        self,
        tenant: str,
        token: StoredToken,
        token_ids: Collection[str],
        events: Sequence[AuditEvent],
        notice: Notification | None = None,
    ) -> bool:
        """Add `token_ids` to the tenant's blocked tokens (refused there, and only there, from
        the next request on), only if `token` still exists for its owner and is not blocked
        there yet, with `events` and the owner's `notice`, in ONE transaction; events beyond
        what one transaction holds (100 items) are written right after it, in batches. False,
        writing nothing, when the token is gone or already blocked; Conflict when a concurrent
        transaction got in the way (retry)."""
        ...

    def rotate(
        self, old: StoredToken, new: StoredToken, tenants: Iterable[str], event: AuditEvent
    ) -> bool:
        """Store the new token (and its index entry in each tenant), mark the old one as
        `old` says (superseded_by, valid_until, family) and write the event, in ONE
        transaction, only if the old token still exists for its owner and is not superseded
        yet; False, writing nothing, otherwise. Conflict when a concurrent transaction got in
        the way (so two rotations of one token never both win)."""
        ...

    def revoke_all(self, user_id: str, when: datetime, event: AuditEvent) -> None:
        """Move the user's revocation watermark to `when`, with the event, in one transaction;
        if the watermark is already later, the event is still recorded."""
        ...

    def link_tokens(self, tenant: str, tokens: Iterable[StoredToken]) -> None:
        """Index these (personal) tokens as able to act in the tenant."""
        ...

    def unlink_user(self, tenant: str, user_id: str) -> None:
        """Drop the tenant's index entries of this user's tokens."""
        ...

    def tenant_tokens(self, tenant: str, cursor: str | None, limit: int) -> TokenPage:
        """One page of the tenant's token index (newest first), each entry read back from the
        token store by key; entries whose token is gone are skipped (the page may be short)."""
        ...

    def tenant_token(self, tenant: str, token_id: str) -> StoredToken | None:
        """A token indexed in this tenant, by id; None if unknown or gone."""
        ...


class AuditLog(Protocol):
    def put(self, *events: AuditEvent) -> None:
        """Record events that go with no change of state (refusals, counts), in batches."""
        ...

    def list_events(
        self,
        tenant: str,
        cursor: str | None,
        limit: int,
        type_: AuditType | None,
        actor: str | None,
    ) -> AuditPage:
        """Newest first, at most `limit`, filtered by type and actor user id."""
        ...


class NotificationStore(Protocol):
    def put(self, notice: Notification, once_key: str | None = None) -> bool:
        """Store a notice for its user. With `once_key`, at most once per (user, key), by a
        conditional write: False (nothing written) when that key was used already. A key is
        remembered as long as the notice is kept (SCULPTOPS_AUDIT_RETENTION_DAYS)."""
        ...

    def list_for_user(self, user_id: str, cursor: str | None, limit: int) -> NotificationPage:
        """The user's notifications, newest first."""
        ...
