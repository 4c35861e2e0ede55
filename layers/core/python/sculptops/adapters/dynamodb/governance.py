"""GovernanceStore on DynamoDB, in the identity table (and the tokens table for token writes).

Items (identity table):
- member: pk `TENANT#<slug>`, sk `MEMBER#<user id>` — kept in step with the user item's
  memberships map (which the authorizer reads) in the same transaction;
- tenant token index entry: pk `TENANT#<slug>`, sk `TOKEN#<token id>` (owner, digest of the
  token item it points at): the admins' list is one Query on the tenant's partition, newest
  first, then one BatchGetItem of the token items by key for their current state. A user's
  token has an entry in every tenant the user belongs to (written on create for each tenant,
  on member add for each existing token; dropped on member remove; TTL = the token's expiry);
- audit event: pk `TENANT#<slug>#AUDIT`, sk the event id (time-sortable), TTL from
  SCULPTOPS_AUDIT_RETENTION_DAYS;
- notification: pk `USER#<id>#NOTE`, sk the notification id.
The tenant item's `members_rev` serialises membership changes (optimistic concurrency), so that
two admins demoting each other cannot leave a tenant without one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from sculptops.adapters.dynamodb.errors import translated
from sculptops.domain.errors import Conflict
from sculptops.domain.governance import (
    Actor,
    AuditEvent,
    AuditPage,
    AuditType,
    Member,
    Notification,
    NotificationPage,
)
from sculptops.domain.identity import CredentialKind, RequestOrigin, TokenPolicy, User
from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken, TokenPage

TENANT_SK = "TENANT"
USER_SK = "USER"
# A filtered read of the audit log stops after this many items and returns a cursor.
SCAN_MAX = 2000


def _canceled(exc: TransactWriteError) -> bool:
    return exc.cause_response_code == "TransactionCanceledException"


def _conditional_only(exc: TransactWriteError) -> bool:
    """Cancelled only by condition checks (not by a conflicting transaction)."""
    reasons = exc.cancellation_reasons if _canceled(exc) else []
    codes = {r.code for r in reasons if r is not None and r.code != "None"}
    return bool(codes) and codes <= {"ConditionalCheckFailed"}


class DynamoGovernanceStore:
    def __init__(
        self, identity: Any, token: Any, connection: Connection, retention_days: int
    ) -> None:
        self._m = identity
        self._t = token
        self._conn = connection
        self._retention = timedelta(days=retention_days)

    # ---- items ----

    def _event_item(self, event: AuditEvent) -> Any:
        return self._m(
            f"TENANT#{event.tenant}#AUDIT",
            event.id,
            event_type=event.type.value,
            at=event.at,
            actor_user=event.actor.user_id,
            actor_credential_id=event.actor.credential_id,
            actor_credential_kind=(
                event.actor.credential_kind.value if event.actor.credential_kind else None
            ),
            target_type=event.target_type,
            target_id=event.target_id,
            target_user=event.target_user,
            source_ip=event.origin.source_ip,
            user_agent=event.origin.user_agent,
            request_id=event.origin.request_id,
            details=json.dumps(event.details, sort_keys=True),
            tenant=event.tenant,
            expires_ttl=int((event.at + self._retention).timestamp()),
        )

    def _event(self, item: Any) -> AuditEvent:
        details = json.loads(item.details) if item.details else {}
        kind = item.actor_credential_kind
        return AuditEvent(
            id=item.sk,
            tenant=item.tenant or "",
            type=AuditType(item.event_type),
            at=item.at,
            actor=Actor(
                user_id=item.actor_user,
                credential_id=item.actor_credential_id,
                credential_kind=CredentialKind(kind) if kind else None,
            ),
            target_type=item.target_type or "",
            target_id=item.target_id,
            target_user=item.target_user,
            origin=RequestOrigin(item.source_ip, item.user_agent, item.request_id),
            details=details if isinstance(details, dict) else {},
        )

    def _member_item(self, tenant: str, member: Member) -> Any:
        return self._m(
            f"TENANT#{tenant}",
            f"MEMBER#{member.user_id}",
            user_id=member.user_id,
            email=member.email,
            name=member.name,
            role=member.role.value,
            joined_at=member.joined_at,
        )

    def _link_item(self, tenant: str, token: StoredToken) -> Any:
        return self._m(
            f"TENANT#{tenant}",
            f"TOKEN#{token.id}",
            owner=token.owner,
            token_digest=token.digest,
            expires_ttl=int(token.expires_at.timestamp()) if token.expires_at else None,
        )

    def _token_item(self, token: StoredToken) -> Any:
        # The same attributes as DynamoTokenStore.put writes.
        return self._t(
            token.digest,
            id=token.id,
            kind=token.kind.value,
            owner=token.owner,
            name=token.name,
            created_at=token.created_at,
            expires_at=token.expires_at,
            tenant=token.tenant,
            ceiling=token.ceiling.value if token.ceiling else None,
            created_by=token.created_by,
            expires_ttl=int(token.expires_at.timestamp()) if token.expires_at else None,
        )

    def _stored(self, item: Any) -> StoredToken:
        return StoredToken(
            digest=item.digest,
            id=item.id,
            kind=CredentialKind(item.kind),
            owner=item.owner,
            name=item.name,
            created_at=item.created_at,
            expires_at=item.expires_at,
            tenant=item.tenant,
            ceiling=Role(item.ceiling) if item.ceiling else None,
            last_used_at=item.last_used_at,
            created_by=item.created_by,
        )

    # ---- members ----

    def list_members(self, tenant: str) -> tuple[list[Member], int]:
        m = self._m
        with translated():
            items = list(
                m.query(f"TENANT#{tenant}", m.sk.startswith("MEMBER#"), consistent_read=True)
            )
            try:
                head = m.get(f"TENANT#{tenant}", TENANT_SK, consistent_read=True)
                revision = int(head.members_rev or 0)
            except m.DoesNotExist:
                revision = 0
        members = []
        for item in items:
            try:
                role = Role(item.role)
            except ValueError:
                continue  # one unreadable item never breaks the list
            members.append(
                Member(item.user_id or "", item.email or "", item.name or "", role, item.joined_at)
            )
        return members, revision

    def change_member(
        self,
        tenant: str,
        revision: int,
        before: User | None,
        after: User,
        member: Member | None,
        event: AuditEvent,
    ) -> None:
        m = self._m
        memberships = {k: v.value for k, v in after.memberships.items()}
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                head = m(f"TENANT#{tenant}", TENANT_SK)
                tx.update(
                    head,
                    actions=[m.members_rev.set(revision + 1)],
                    condition=m.pk.exists()
                    & ((m.members_rev == revision) if revision else m.members_rev.does_not_exist()),
                )
                user = m(f"USER#{after.id}", USER_SK)
                if before is None:
                    user.email = after.email
                    user.name = after.name
                    user.memberships = memberships
                    user.active_tenant = after.active_tenant
                    tx.save(user, condition=m.pk.does_not_exist())
                else:
                    previous = {k: v.value for k, v in before.memberships.items()}
                    actions = [m.memberships.set(memberships)]
                    if after.active_tenant:
                        actions.append(m.active_tenant.set(after.active_tenant))
                    else:
                        actions.append(m.active_tenant.remove())
                    tx.update(user, actions=actions, condition=m.memberships == previous)
                if member is None:
                    tx.delete(m(f"TENANT#{tenant}", f"MEMBER#{after.id}"))
                else:
                    tx.save(self._member_item(tenant, member))
                tx.save(self._event_item(event))
        except TransactWriteError as exc:
            if _canceled(exc):
                raise Conflict("the members changed meanwhile; retry") from exc
            raise

    def link_tokens(self, tenant: str, tokens: Iterable[StoredToken]) -> None:
        with translated(), self._m.batch_write() as batch:
            for token in tokens:
                batch.save(self._link_item(tenant, token))

    def unlink_user(self, tenant: str, user_id: str) -> None:
        m = self._m
        with translated():
            links = [
                i
                for i in m.query(
                    f"TENANT#{tenant}", m.sk.startswith("TOKEN#"), consistent_read=True
                )
                if i.owner == user_id
            ]
            with m.batch_write() as batch:
                for link in links:
                    batch.delete(link)

    # ---- tokens ----

    def create_token(self, token: StoredToken, tenants: Iterable[str], event: AuditEvent) -> None:
        t = self._t
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.save(self._token_item(token), condition=t.digest.does_not_exist())
                for tenant in tenants:
                    tx.save(self._link_item(tenant, token))
                tx.save(self._event_item(event))
        except TransactWriteError as exc:
            if _canceled(exc):
                raise Conflict("token collision; retry") from exc
            raise

    def delete_token(self, token: StoredToken, event: AuditEvent) -> bool:
        t = self._t
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.delete(t(token.digest), condition=t.owner == token.owner)
                tx.save(self._event_item(event))
        except TransactWriteError as exc:
            if _conditional_only(exc):
                return False
            if _canceled(exc):
                raise Conflict("the token changed meanwhile; retry") from exc
            raise
        return True

    def revoke_all(self, user_id: str, when: datetime, event: AuditEvent) -> None:
        m = self._m
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.update(
                    m(f"USER#{user_id}", USER_SK),
                    actions=[m.tokens_revoked_before.set(when)],
                    condition=m.pk.exists()
                    & (m.tokens_revoked_before.does_not_exist() | (m.tokens_revoked_before < when)),
                )
                tx.save(self._event_item(event))
        except TransactWriteError as exc:
            if not _conditional_only(exc):
                raise
            # The watermark is already later (a concurrent revoke-all): the tokens are revoked;
            # this request's intent is still recorded.
            self.put_events([event])

    def tenant_tokens(self, tenant: str, cursor: str | None, limit: int) -> TokenPage:
        m, t = self._m, self._t
        condition = (
            m.sk.between("TOKEN#", f"TOKEN#{cursor}") if cursor else m.sk.startswith("TOKEN#")
        )
        with translated():
            links = list(
                m.query(
                    f"TENANT#{tenant}",
                    condition,
                    scan_index_forward=False,
                    consistent_read=True,
                    limit=limit + 2,
                    page_size=limit + 2,
                )
            )
            links = [i for i in links if i.sk != f"TOKEN#{cursor}"][: limit + 1]
            page = links[:limit]
            digests = [i.token_digest for i in page if i.token_digest]
            found = {
                item.digest: item
                for item in (t.batch_get(digests, consistent_read=True) if digests else [])
            }
        tokens = []
        for link in page:
            item = found.get(link.token_digest or "")
            if item is not None and f"TOKEN#{item.id}" == link.sk and item.owner == link.owner:
                tokens.append(self._stored(item))
        next_cursor = page[-1].sk.removeprefix("TOKEN#") if len(links) > limit else None
        return TokenPage(tokens=tokens, next_cursor=next_cursor)

    def tenant_token(self, tenant: str, token_id: str) -> StoredToken | None:
        m, t = self._m, self._t
        with translated():
            try:
                link = m.get(f"TENANT#{tenant}", f"TOKEN#{token_id}", consistent_read=True)
                item = t.get(link.token_digest, consistent_read=True)
            except (m.DoesNotExist, t.DoesNotExist):
                return None
        if item.id != token_id or item.owner != link.owner:
            return None
        return self._stored(item)

    def revoke_by_admin(
        self, tenant: str, token: StoredToken, event: AuditEvent, notice: Notification
    ) -> bool:
        m, t = self._m, self._t
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.delete(t(token.digest), condition=t.owner == token.owner)
                tx.delete(m(f"TENANT#{tenant}", f"TOKEN#{token.id}"))
                tx.save(self._event_item(event))
                tx.save(self._notice_item(notice))
        except TransactWriteError as exc:
            if _conditional_only(exc):
                return False
            if _canceled(exc):
                raise Conflict("the token changed meanwhile; retry") from exc
            raise
        return True

    # ---- policy ----

    def set_policy(self, tenant: str, policy: TokenPolicy, event: AuditEvent) -> None:
        m = self._m
        actions = [
            m.tokens_admins_only.set(policy.admins_only),
            m.token_max_days.set(policy.max_days),
            (
                m.token_default_days.set(policy.default_days)
                if policy.default_days
                else m.token_default_days.remove()
            ),
        ]
        try:
            with translated(), TransactWrite(connection=self._conn) as tx:
                tx.update(
                    m(f"TENANT#{tenant}", TENANT_SK), actions=actions, condition=m.pk.exists()
                )
                tx.save(self._event_item(event))
        except TransactWriteError as exc:
            if _canceled(exc):
                raise Conflict("the tenant changed meanwhile; retry") from exc
            raise

    # ---- audit log and notifications ----

    def put_events(self, events: Iterable[AuditEvent]) -> None:
        with translated(), self._m.batch_write() as batch:
            for event in events:
                batch.save(self._event_item(event))

    def _newest_first(self, pk: str, cursor: str | None) -> Iterator[Any]:
        m = self._m
        condition = m.sk < cursor if cursor else None
        return iter(
            m.query(pk, condition, scan_index_forward=False, consistent_read=True, page_size=100)
        )

    def list_events(
        self,
        tenant: str,
        cursor: str | None,
        limit: int,
        type_: AuditType | None,
        actor: str | None,
    ) -> AuditPage:
        events: list[AuditEvent] = []
        scanned = 0
        last: str | None = None
        with translated():
            for item in self._newest_first(f"TENANT#{tenant}#AUDIT", cursor):
                scanned += 1
                try:
                    event = self._event(item)
                except (ValueError, TypeError):
                    continue  # one unreadable item never breaks the list
                if (type_ is None or event.type is type_) and (
                    actor is None or event.actor.user_id == actor
                ):
                    if len(events) == limit:
                        return AuditPage(events, events[-1].id)
                    events.append(event)
                last = item.sk
                if scanned >= SCAN_MAX:
                    return AuditPage(events, last)
        return AuditPage(events, None)

    def _notice_item(self, notice: Notification) -> Any:
        return self._m(
            f"USER#{notice.user_id}#NOTE",
            notice.id,
            event_type=notice.type,
            at=notice.created_at,
            message=notice.message,
            target_id=notice.token_id,
            tenant=notice.tenant,
            expires_ttl=int((notice.created_at + self._retention).timestamp()),
        )

    def list_notifications(self, user_id: str, cursor: str | None, limit: int) -> NotificationPage:
        notes: list[Notification] = []
        with translated():
            for item in self._newest_first(f"USER#{user_id}#NOTE", cursor):
                if len(notes) == limit:
                    return NotificationPage(notes, notes[-1].id)
                notes.append(
                    Notification(
                        id=item.sk,
                        user_id=user_id,
                        type=item.event_type or "",
                        created_at=item.at,
                        message=item.message or "",
                        token_id=item.target_id,
                        tenant=item.tenant,
                    )
                )
        return NotificationPage(notes, None)
