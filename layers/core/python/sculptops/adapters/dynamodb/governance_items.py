"""Governance items of the identity table, shared by the governance adapters (members, policy,
token ledger, audit log, notifications), so that each can put an audit event or a notice in its
own transaction.

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
- notification: pk `USER#<id>#NOTE`, sk the notification id (same TTL); a notice written once
  per key also holds its key: pk `USER#<id>#NOTE_ONCE`, sk the key (same TTL).
The tenant item's `members_rev` serialises membership changes (optimistic concurrency), so that
two admins demoting each other cannot leave a tenant without one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from sculptops.domain.governance import Actor, AuditEvent, AuditType, Member, Notification
from sculptops.domain.identity import CredentialKind, RequestOrigin
from sculptops.domain.tokens import StoredToken

TENANT_SK = "TENANT"
USER_SK = "USER"


def canceled(exc: TransactWriteError) -> bool:
    return exc.cause_response_code == "TransactionCanceledException"


def conditional_only(exc: TransactWriteError) -> bool:
    """Cancelled only by condition checks (not by a conflicting transaction)."""
    reasons = exc.cancellation_reasons if canceled(exc) else []
    codes = {r.code for r in reasons if r is not None and r.code != "None"}
    return bool(codes) and codes <= {"ConditionalCheckFailed"}


def event_item(model: Any, event: AuditEvent, retention: timedelta) -> Any:
    return model(
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
        expires_ttl=int((event.at + retention).timestamp()),
    )


def event_of(item: Any) -> AuditEvent:
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


def notice_item(model: Any, notice: Notification, retention: timedelta) -> Any:
    return model(
        f"USER#{notice.user_id}#NOTE",
        notice.id,
        event_type=notice.type,
        at=notice.created_at,
        message=notice.message,
        target_id=notice.token_id,
        tenant=notice.tenant,
        expires_ttl=int((notice.created_at + retention).timestamp()),
    )


def notice_of(item: Any, user_id: str) -> Notification:
    return Notification(
        id=item.sk,
        user_id=user_id,
        type=item.event_type or "",
        created_at=item.at,
        message=item.message or "",
        token_id=item.target_id,
        tenant=item.tenant,
    )


def member_item(model: Any, tenant: str, member: Member) -> Any:
    return model(
        f"TENANT#{tenant}",
        f"MEMBER#{member.user_id}",
        user_id=member.user_id,
        email=member.email,
        name=member.name,
        role=member.role.value,
        joined_at=member.joined_at,
    )


def link_item(model: Any, tenant: str, token: StoredToken) -> Any:
    return model(
        f"TENANT#{tenant}",
        f"TOKEN#{token.id}",
        owner=token.owner,
        token_digest=token.digest,
        expires_ttl=int(token.expires_at.timestamp()) if token.expires_at else None,
    )


def newest_first(model: Any, pk: str, cursor: str | None) -> Iterator[Any]:
    """The partition's items by descending sort key, below `cursor` if given."""
    condition = model.sk < cursor if cursor else None
    return iter(
        model.query(pk, condition, scan_index_forward=False, consistent_read=True, page_size=100)
    )
