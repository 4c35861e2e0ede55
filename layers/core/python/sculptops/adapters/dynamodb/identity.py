"""IdentityStore on DynamoDB: one table, users (`USER#<owner key>`, auth_items.user_pk) and
tenants (`TENANT#slug`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from sculptops.adapters.dynamodb.auth_items import user_pk
from sculptops.adapters.dynamodb.errors import is_conditional_failure, translated
from sculptops.domain.identity import Tenant, TokenPolicy, User
from sculptops.domain.roles import Role
from sculptops.domain.token_format import TokenHasher

USER_SK = "USER"
TENANT_SK = "TENANT"


class DynamoIdentityStore:
    def __init__(self, model: Any, keys: TokenHasher) -> None:
        self._m = model
        self._keys = keys  # users are keyed by owner key (auth_items.user_pk)

    def warm(self) -> None:
        """Create the DynamoDB client now (pynamodb makes it on first use)."""
        self._m._get_connection().connection.client  # noqa: B018 - the access creates it

    def get_user(self, user_id: str) -> User | None:
        with translated():
            try:
                item = self._m.get(user_pk(self._keys, user_id), USER_SK, consistent_read=True)
            except self._m.DoesNotExist:
                return None
        if item.user_id is not None and item.user_id != user_id:
            return None  # another user's item under this key: never read as this one
        raw = item.memberships.as_dict() if item.memberships is not None else {}
        memberships = {str(k): Role(v) for k, v in raw.items()}
        return User(
            id=user_id,
            email=item.email or "",
            name=item.name or "",
            memberships=memberships,
            active_tenant=item.active_tenant,
            tokens_revoked_before=item.tokens_revoked_before,
        )

    def put_user(self, user: User) -> None:
        item = self._m(
            user_pk(self._keys, user.id),
            USER_SK,
            user_id=user.id,
            email=user.email,
            name=user.name,
            memberships={k: v.value for k, v in user.memberships.items()},
            active_tenant=user.active_tenant,
            tokens_revoked_before=user.tokens_revoked_before,
        )
        with translated():
            item.save()
            # Each membership also as a member item under its tenant, for listing members
            # (services/members.py keeps both in step, in one transaction, from then on).
            for slug, role in user.memberships.items():
                self._m(
                    f"TENANT#{slug}",
                    f"MEMBER#{user.id}",
                    user_id=user.id,
                    email=user.email,
                    name=user.name,
                    role=role.value,
                    joined_at=datetime.now(UTC),
                ).save()

    def get_tenant(self, slug: str) -> Tenant | None:
        with translated():
            try:
                item = self._m.get(f"TENANT#{slug}", TENANT_SK, consistent_read=True)
            except self._m.DoesNotExist:
                return None
        policy = TokenPolicy(
            admins_only=bool(item.tokens_admins_only),
            max_days=int(item.token_max_days) if item.token_max_days else 366,
            default_days=int(item.token_default_days) if item.token_default_days else None,
        )
        blocked = frozenset(item.blocked_tokens or ())
        return Tenant(
            slug=slug, name=item.name or slug, token_policy=policy, blocked_tokens=blocked
        )

    def put_tenant(self, tenant: Tenant) -> None:
        item = self._m(
            f"TENANT#{tenant.slug}",
            TENANT_SK,
            name=tenant.name,
            tokens_admins_only=tenant.token_policy.admins_only,
            token_max_days=tenant.token_policy.max_days,
            token_default_days=tenant.token_policy.default_days,
        )
        with translated():
            item.save()

    def revoke_tokens_before(self, user_id: str, when: datetime) -> None:
        item = self._m(user_pk(self._keys, user_id), USER_SK)
        m = self._m
        with translated():
            try:
                item.update(
                    actions=[m.tokens_revoked_before.set(when)],
                    condition=m.pk.exists()
                    & (m.tokens_revoked_before.does_not_exist() | (m.tokens_revoked_before < when)),
                )
            except UpdateError as exc:
                if not is_conditional_failure(exc):
                    raise
