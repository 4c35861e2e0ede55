"""A tenant's token policy (admins): who may create tokens, their maximum and default lifetime.

A token whose lifetime exceeds a new maximum is refused in the tenant from the next request on;
the change says how many that stopped and records a refusal event for each.
"""

from __future__ import annotations

from dataclasses import dataclass

from sculptops.domain.governance import AuditType, check_policy, lifetime_exceeds, new_event
from sculptops.domain.identity import Caller, TokenPolicy
from sculptops.domain.roles import Role
from sculptops.ports import AuditLog, Clock, IdentityStore, PolicyStore, TokenLedger
from sculptops.services.governance_common import all_tenant_tokens, tenant_of, tenant_record


@dataclass(frozen=True)
class PolicyChange:
    policy: TokenPolicy
    tokens_stopped: int  # tokens usable here before the change and refused from now on


class TokenPolicyService:
    def __init__(
        self,
        *,
        policies: PolicyStore,
        ledger: TokenLedger,
        audit_log: AuditLog,
        identities: IdentityStore,
        clock: Clock,
    ) -> None:
        self._policies = policies
        self._ledger = ledger
        self._audit = audit_log
        self._identities = identities
        self._clock = clock

    def policy(self, caller: Caller) -> TokenPolicy:
        caller.require(Role.ADMIN)
        return tenant_record(self._identities, tenant_of(caller)).token_policy

    def set_policy(
        self, caller: Caller, admins_only: bool, max_days: int, default_days: int | None
    ) -> PolicyChange:
        """Replace the tenant's token policy. A token whose lifetime exceeds the new maximum is
        refused with 401 here from the next request on; the answer says how many that stopped."""
        caller.require(Role.ADMIN)
        tenant = tenant_record(self._identities, tenant_of(caller))
        check_policy(max_days, default_days)
        before = tenant.token_policy
        after = TokenPolicy(admins_only=admins_only, max_days=max_days, default_days=default_days)
        now = self._clock.now()
        stopped = [
            t
            for t in all_tenant_tokens(self._ledger, tenant.slug)
            if not t.expired(now)
            and lifetime_exceeds(t, after.max_days)
            and not lifetime_exceeds(t, before.max_days)
        ]
        event = new_event(
            caller,
            now,
            AuditType.POLICY_CHANGED,
            "policy",
            target_id=tenant.slug,
            details={
                "admins_only": after.admins_only,
                "max_lifetime_days": after.max_days,
                "default_lifetime_days": after.default_days,
                "previous_max_lifetime_days": before.max_days,
                "tokens_stopped": len(stopped),
            },
        )
        self._policies.set_policy(tenant.slug, after, event)
        self._audit.put(
            *(
                new_event(
                    caller,
                    now,
                    AuditType.TOKEN_REFUSED_BY_POLICY,
                    "token",
                    target_id=t.id,
                    target_user=t.owner,
                    details={"name": t.name, "max_lifetime_days": after.max_days},
                )
                for t in stopped
            )
        )
        return PolicyChange(policy=after, tokens_stopped=len(stopped))
