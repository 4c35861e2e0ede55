"""MemberStore and PolicyStore on DynamoDB: a tenant's member items, kept in step with the user
items' memberships, and the tenant item's token policy; each change with its audit event in one
transaction (items: `governance_items`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from sculptops.adapters.dynamodb.auth_items import user_pk
from sculptops.adapters.dynamodb.errors import translated
from sculptops.adapters.dynamodb.governance_items import (
    TENANT_SK,
    USER_SK,
    canceled,
    event_item,
    member_item,
)
from sculptops.domain.errors import Conflict
from sculptops.domain.governance import AuditEvent, Member
from sculptops.domain.identity import TokenPolicy, User
from sculptops.domain.roles import Role
from sculptops.domain.token_format import TokenHasher


class DynamoMemberStore:
    def __init__(
        self, identity: Any, connection: Connection, retention_days: int, keys: TokenHasher
    ) -> None:
        self._m = identity
        self._conn = connection
        self._retention = timedelta(days=retention_days)
        self._keys = keys  # users are keyed by owner key (auth_items.user_pk)

    def list_members(self, tenant: str) -> tuple[list[Member], int]:
        m = self._m
        with translated():
            # The revision first, then the members: a change committed between the two reads
            # has moved the revision, so a decision taken on these members is refused
            # (Conflict). Read the other way round, members older than their revision could
            # pass the check: two admins removing each other would both win.
            try:
                head = m.get(f"TENANT#{tenant}", TENANT_SK, consistent_read=True)
                revision = int(head.members_rev or 0)
            except m.DoesNotExist:
                revision = 0
            items = list(
                m.query(f"TENANT#{tenant}", m.sk.startswith("MEMBER#"), consistent_read=True)
            )
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
                user = m(user_pk(self._keys, after.id), USER_SK)
                if before is None:
                    user.user_id = after.id
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
                    tx.save(member_item(m, tenant, member))
                tx.save(event_item(m, event, self._retention))
        except TransactWriteError as exc:
            if canceled(exc):
                raise Conflict("the members changed meanwhile; retry") from exc
            raise


class DynamoPolicyStore:
    def __init__(self, identity: Any, connection: Connection, retention_days: int) -> None:
        self._m = identity
        self._conn = connection
        self._retention = timedelta(days=retention_days)

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
                tx.save(event_item(m, event, self._retention))
        except TransactWriteError as exc:
            if canceled(exc):
                raise Conflict("the tenant changed meanwhile; retry") from exc
            raise
