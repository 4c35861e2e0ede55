"""In-memory fakes of the core's ports: the same Protocols the DynamoDB adapters implement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sculptops.domain import agents as agent_rules
from sculptops.domain.agents import Agent
from sculptops.domain.catalog import Inventory, Playbook
from sculptops.domain.errors import Conflict, NotAuthenticated, NotFound
from sculptops.domain.executions import (
    Execution,
    ExecutionPage,
    Status,
    Step,
    cancel_step,
    check_deletable,
    check_target,
    lease_expired,
    may,
    refused,
    target,
)
from sculptops.domain.idempotency import IdempotentRecord
from sculptops.domain.identity import Tenant, User
from sculptops.domain.logs import Level, LogLine, LogPage, after_refused_batch
from sculptops.domain.tokens import StoredToken, TokenPage


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class FakeTokenStore:
    def __init__(self) -> None:
        self.items: dict[str, StoredToken] = {}
        self.reads = 0
        self.writes = 0  # record_use writes that took effect
        self.fail_with: Exception | None = None

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def get(self, digest: str) -> StoredToken | None:
        self._maybe_fail()
        self.reads += 1
        return self.items.get(digest)

    def put(self, token: StoredToken) -> None:
        self._maybe_fail()
        if token.digest in self.items:
            raise Conflict("token collision; retry")
        self.items[token.digest] = token

    def list_for_owner(self, owner: str, cursor: str | None, limit: int) -> TokenPage:
        self._maybe_fail()
        mine = sorted((t for t in self.items.values() if t.owner == owner), key=lambda t: t.id)
        mine.reverse()
        if cursor:
            mine = [t for t in mine if t.id < cursor]
        page = mine[:limit]
        return TokenPage(page, page[-1].id if len(mine) > limit else None)

    def find(self, owner: str, token_id: str) -> StoredToken | None:
        self._maybe_fail()
        return next((t for t in self.items.values() if t.owner == owner and t.id == token_id), None)

    def delete(self, token: StoredToken) -> bool:
        self._maybe_fail()
        current = self.items.get(token.digest)
        if current is None or current.owner != token.owner:
            return False
        del self.items[token.digest]
        return True

    def delete_many(self, tokens: Iterable[StoredToken]) -> int:
        self._maybe_fail()
        n = 0
        for t in tokens:
            self.items.pop(t.digest, None)
            n += 1
        return n

    def shorten_overlap(self, token: StoredToken, until: datetime) -> bool:
        self._maybe_fail()
        current = self.items.get(token.digest)
        if (
            current is None
            or token.superseded_by is None
            or current.superseded_by != token.superseded_by
            or current.valid_until is None
            or current.valid_until <= until
        ):
            return False
        self.writes += 1
        self.items[token.digest] = replace(current, valid_until=until)
        return True

    def record_use(self, token: StoredToken, when: datetime, ips: tuple[str, ...]) -> bool:
        self._maybe_fail()
        current = self.items.get(token.digest)
        if current is None or current.last_used_at != token.last_used_at:
            return False
        self.writes += 1
        self.items[token.digest] = replace(current, last_used_at=when, last_used_ips=ips)
        return True


class FakeIdentityStore:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.tenants: dict[str, Tenant] = {}
        self.fail_with: Exception | None = None

    def get_user(self, user_id: str) -> User | None:
        if self.fail_with is not None:
            raise self.fail_with
        return self.users.get(user_id)

    def put_user(self, user: User) -> None:
        self.users[user.id] = user

    def get_tenant(self, slug: str) -> Tenant | None:
        return self.tenants.get(slug)

    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.slug] = tenant

    def revoke_tokens_before(self, user_id: str, when: datetime) -> None:
        user = self.users.get(user_id)
        if user is None:
            return
        if user.tokens_revoked_before is None or user.tokens_revoked_before < when:
            self.users[user_id] = replace(user, tokens_revoked_before=when)


class FakeCredentialReader:
    """CredentialReader over a FakeTokenStore and a FakeIdentityStore: each call is one request
    (`requests`), as one BatchGetItem is on DynamoDB. Users are found by their owner key."""

    def __init__(self, tokens: FakeTokenStore, identities: FakeIdentityStore, keys: Any) -> None:
        self.tokens = tokens
        self.identities = identities
        self.keys = keys  # a TokenHasher: its owner_key
        self.requests = 0

    def token_owner_tenant(
        self, digest: str, owner_key: str | None, slug: str | None
    ) -> tuple[StoredToken | None, User | None, Tenant | None]:
        self.tokens._maybe_fail()
        if self.identities.fail_with is not None:
            raise self.identities.fail_with
        self.requests += 1
        user = None
        if owner_key is not None:
            user = next(
                (
                    u
                    for u in self.identities.users.values()
                    if self.keys.owner_key(u.id) == owner_key
                ),
                None,
            )
        tenant = self.identities.tenants.get(slug) if slug is not None else None
        return self.tokens.items.get(digest), user, tenant


class FakeJwtVerifier:
    """Accepts the JWTs a test registered in `valid` (token -> claims); refuses anything else."""

    def __init__(self) -> None:
        self.valid: dict[str, dict[str, Any]] = {}

    def verify(self, jwt: str) -> dict[str, Any]:
        claims = self.valid.get(jwt)
        if claims is None:
            raise NotAuthenticated("invalid-jwt")
        return claims


class FakeCatalogStore:
    def __init__(self) -> None:
        self.playbooks: dict[tuple[str, str], Playbook] = {}
        self.inventories: dict[tuple[str, str], Inventory] = {}

    def put_playbook(self, playbook: Playbook) -> None:
        self.playbooks[(playbook.tenant, playbook.id)] = playbook

    def get_playbook(self, tenant: str, playbook_id: str) -> Playbook | None:
        return self.playbooks.get((tenant, playbook_id))

    def list_playbooks(self, tenant: str) -> list[Playbook]:
        return sorted((p for (t, _), p in self.playbooks.items() if t == tenant), key=_id)

    def delete_playbook(self, tenant: str, playbook_id: str) -> bool:
        return self.playbooks.pop((tenant, playbook_id), None) is not None

    def put_inventory(self, inventory: Inventory) -> None:
        self.inventories[(inventory.tenant, inventory.id)] = inventory

    def get_inventory(self, tenant: str, inventory_id: str) -> Inventory | None:
        return self.inventories.get((tenant, inventory_id))

    def list_inventories(self, tenant: str) -> list[Inventory]:
        return sorted((i for (t, _), i in self.inventories.items() if t == tenant), key=_id)

    def delete_inventory(self, tenant: str, inventory_id: str) -> bool:
        return self.inventories.pop((tenant, inventory_id), None) is not None


def _id(thing: Any) -> str:
    return str(thing.id)


class FakeExecutionStore:
    """Runs and (in `lines`) their log lines: one "partition" per run, as on DynamoDB, shared
    with the FakeLogStore made from it. Transitions follow the domain's table, as the real
    store's conditions do."""

    def __init__(self) -> None:
        self.runs: dict[tuple[str, str], Execution] = {}
        self.lines: dict[tuple[str, str], list[LogLine]] = {}

    def _must(self, tenant: str, execution_id: str) -> Execution:
        execution = self.runs.get((tenant, execution_id))
        if execution is None:
            raise NotFound(f"execution {execution_id} not found")
        return execution

    def _set(self, execution: Execution, **changes: Any) -> Execution:
        updated = replace(execution, **changes)
        self.runs[(execution.tenant, execution.id)] = updated
        return updated

    def create(self, execution: Execution) -> None:
        if (execution.tenant, execution.id) in self.runs:
            raise Conflict("execution id collision; retry")
        self.runs[(execution.tenant, execution.id)] = replace(execution, log_next_seq=1)
        self.lines[(execution.tenant, execution.id)] = []

    def get(self, tenant: str, execution_id: str) -> Execution | None:
        return self.runs.get((tenant, execution_id))

    def list_for_tenant(
        self,
        tenant: str,
        status: Status | None,
        playbook_id: str | None,
        cursor: str | None,
        limit: int,
    ) -> ExecutionPage:
        found = sorted(
            (
                e
                for (t, _), e in self.runs.items()
                if t == tenant
                and (status is None or e.status is status)
                and (playbook_id is None or e.playbook_id == playbook_id)
                and (cursor is None or e.id < cursor)
            ),
            key=_id,
            reverse=True,
        )
        page = found[:limit]
        return ExecutionPage(page, page[-1].id if len(found) > limit else None)

    def claim_next(
        self, tenant: str, agent_id: str, now: datetime, lease_until: datetime
    ) -> Execution | None:
        queued = sorted(
            (e for (t, _), e in self.runs.items() if t == tenant and may(Step.CLAIM, e)), key=_id
        )
        if not queued:
            return None
        return self._set(
            queued[0],
            status=target(Step.CLAIM),
            started_at=now,
            agent_id=agent_id,
            lease_expires_at=lease_until,
        )

    def heartbeat(
        self, tenant: str, execution_id: str, agent_id: str, lease_until: datetime
    ) -> Execution:
        current = self._must(tenant, execution_id)
        if not may(Step.HEARTBEAT, current, agent_id):
            raise refused(Step.HEARTBEAT, current)
        return self._set(current, lease_expires_at=lease_until)

    def finish(
        self,
        tenant: str,
        execution_id: str,
        agent_id: str,
        status: Status,
        exit_code: int,
        now: datetime,
    ) -> Execution:
        current = self._must(tenant, execution_id)
        if not may(Step.FINISH, current, agent_id):
            raise refused(Step.FINISH, current)
        return self._set(
            current,
            status=check_target(Step.FINISH, status),
            finished_at=now,
            exit_code=exit_code,
        )

    def cancel(self, tenant: str, execution_id: str, now: datetime) -> Execution:
        current = self._must(tenant, execution_id)
        if cancel_step(current) is Step.CANCEL:
            return self._set(
                current,
                status=target(Step.CANCEL),
                finished_at=now,
                cancel_requested=True,
            )
        return self._set(current, cancel_requested=True)

    def expired_leases(self, now: datetime, limit: int) -> list[Execution]:
        second = int(now.timestamp())
        return [
            e
            for e in self.runs.values()
            if may(Step.EXPIRE, e)
            and e.lease_expires_at is not None
            and int(e.lease_expires_at.timestamp()) < second
        ][:limit]

    def fail_expired(self, execution: Execution, now: datetime, message: str) -> bool:
        current = self.runs.get((execution.tenant, execution.id))
        if current is None or not lease_expired(current, now):
            return False
        seq = current.log_next_seq
        self.lines[(current.tenant, current.id)].append(LogLine(seq, now, Level.ERROR, message))
        self._set(
            current,
            status=target(Step.EXPIRE),
            finished_at=now,
            error=message,
            log_next_seq=seq + 1,
        )
        return True

    def delete(self, tenant: str, execution_id: str) -> bool:
        current = self.runs.get((tenant, execution_id))
        if current is None:
            return False
        check_deletable(current)
        del self.runs[(tenant, execution_id)]
        self.lines.pop((tenant, execution_id), None)
        return True


class FakeLogStore:
    """The log lines of a FakeExecutionStore's runs, checked against their state."""

    def __init__(self, executions: FakeExecutionStore) -> None:
        self.executions = executions

    def append_logs(
        self,
        tenant: str,
        execution_id: str,
        agent_id: str,
        first_seq: int,
        lines: list[LogLine],
        written_at: datetime | None = None,
    ) -> int:
        current = self.executions._must(tenant, execution_id)
        if not may(Step.APPEND_LOGS, current, agent_id) or current.log_next_seq != first_seq:
            return after_refused_batch(current, agent_id, first_seq, len(lines))
        self.executions.lines[(tenant, execution_id)].extend(lines)
        last = first_seq + len(lines) - 1
        self.executions._set(
            current, log_next_seq=last + 1, log_written_at=written_at or lines[-1].ts
        )
        return last + 1

    def read_logs(self, tenant: str, execution_id: str, after: int, limit: int) -> LogPage:
        execution = self.executions._must(tenant, execution_id)
        newer = [ln for ln in self.executions.lines[(tenant, execution_id)] if ln.seq > after]
        return LogPage(lines=newer[:limit], execution=execution, more=len(newer) > limit)


class FakeAgentStore:
    def __init__(self) -> None:
        self.agents: dict[tuple[str, str], Agent] = {}
        self.writes = 0  # `seen` writes, which an idle agent's polls should not cause

    def put_agent(self, agent: Agent) -> None:
        self.agents[(agent.tenant, agent.id)] = agent

    def get_agent(self, tenant: str, agent_id: str) -> Agent | None:
        return self.agents.get((tenant, agent_id))

    def list_agents(self, tenant: str) -> list[Agent]:
        return sorted((a for (t, _), a in self.agents.items() if t == tenant), key=_id)

    def delete_agent(self, tenant: str, agent_id: str) -> bool:
        return self.agents.pop((tenant, agent_id), None) is not None

    def seen(self, tenant: str, agent_id: str, when: datetime, execution_id: str | None) -> None:
        agent = self.agents.get((tenant, agent_id))
        if agent is not None and agent_rules.worth_recording(agent, when, execution_id):
            self.writes += 1
            self.agents[(tenant, agent_id)] = replace(
                agent, last_seen_at=when, current_execution=execution_id
            )


class FakeIdempotencyStore:
    def __init__(self) -> None:
        self.records: dict[str, IdempotentRecord] = {}

    def claim(self, key: str, record: IdempotentRecord, replacing: IdempotentRecord | None) -> bool:
        held = self.records.get(key)
        if replacing is None:
            free = held is None
        else:
            # The record read, as stored: same fingerprint and expiry (to the second).
            free = (
                held is not None
                and held.fingerprint == replacing.fingerprint
                and int(held.expires.timestamp()) == int(replacing.expires.timestamp())
            )
        if free:
            self.records[key] = replace(
                record, expires=datetime.fromtimestamp(int(record.expires.timestamp()), UTC)
            )
        return free

    def get(self, key: str) -> IdempotentRecord | None:
        return self.records.get(key)

    def complete(self, key: str, status: int, body: str) -> None:
        held = self.records.get(key)
        if held is not None:
            self.records[key] = replace(held, in_flight=False, status=status, body=body)

    def release(self, key: str) -> None:
        self.records.pop(key, None)


def fake_stores(**given: Any) -> dict[str, Any]:
    """Keyword arguments for `build(...)`: a fake of every store, or the ones given instead.

    The governance fakes work over the token and identity fakes (given or made here) and share
    one audit log and one notification store, as the DynamoDB adapters share tables."""
    executions = given.get("execution_store") or FakeExecutionStore()
    tokens = given.get("token_store") or FakeTokenStore()
    identities = given.get("identity_store") or FakeIdentityStore()
    audit = given.get("audit_log") or FakeAuditLog()
    notes = given.get("notification_store") or FakeNotificationStore()
    stores: dict[str, Any] = {
        "token_store": tokens,
        "identity_store": identities,
        "catalog_store": FakeCatalogStore(),
        "execution_store": executions,
        "log_store": FakeLogStore(executions),
        "agent_store": FakeAgentStore(),
        "idempotency_store": FakeIdempotencyStore(),
        "members": FakeMemberStore(identities, audit),
        "policy_store": FakePolicyStore(identities, audit),
        "token_ledger": FakeTokenLedger(tokens, identities, audit, notes),
        "audit_log": audit,
        "notification_store": notes,
        "token_lookup": FakeTokenLookup(tokens),
    }
    unknown = set(given) - set(stores)
    assert not unknown, f"no such store: {unknown}"
    return {**stores, **given}


# ---- governance (issue 13) ----


class FakeAuditLog:
    """AuditLog in memory: `events` is the log, every tenant's, in write order."""

    def __init__(self) -> None:
        from sculptops.domain.governance import AuditEvent

        self.events: list[AuditEvent] = []

    def put(self, *events: Any) -> None:
        self.events.extend(events)

    def list_events(
        self, tenant: str, cursor: str | None, limit: int, type_: Any, actor: str | None
    ) -> Any:
        from sculptops.domain.governance import AuditPage

        found = sorted(
            (
                e
                for e in self.events
                if e.tenant == tenant
                and (cursor is None or e.id < cursor)
                and (type_ is None or e.type is type_)
                and (actor is None or e.actor.user_id == actor)
            ),
            key=lambda e: e.id,
            reverse=True,
        )
        page = found[:limit]
        return AuditPage(page, page[-1].id if len(found) > limit else None)


class FakeNotificationStore:
    """NotificationStore in memory: `notices` is every user's, `once_keys` the keys used."""

    def __init__(self) -> None:
        from sculptops.domain.governance import Notification

        self.notices: list[Notification] = []
        self.once_keys: set[tuple[str, str]] = set()

    def put(self, notice: Any, once_key: str | None = None) -> bool:
        if once_key is not None:
            if (notice.user_id, once_key) in self.once_keys:
                return False
            self.once_keys.add((notice.user_id, once_key))
        self.notices.append(notice)
        return True

    def list_for_user(self, user_id: str, cursor: str | None, limit: int) -> Any:
        from sculptops.domain.governance import NotificationPage

        found = sorted(
            (n for n in self.notices if n.user_id == user_id and (cursor is None or n.id < cursor)),
            key=lambda n: n.id,
            reverse=True,
        )
        page = found[:limit]
        return NotificationPage(page, page[-1].id if len(found) > limit else None)


class FakeMemberStore:
    """MemberStore in memory, over the fake identity store: members come from the users'
    memberships, as the DynamoDB adapter keeps its member items in step with them."""

    def __init__(self, identities: FakeIdentityStore, audit: FakeAuditLog) -> None:
        self.identities = identities
        self.audit = audit
        self.revisions: dict[str, int] = {}
        self.joined: dict[tuple[str, str], datetime] = {}

    def list_members(self, tenant: str) -> tuple[list[Any], int]:
        from sculptops.domain.governance import Member

        members = [
            Member(u.id, u.email, u.name, u.memberships[tenant], self.joined.get((tenant, u.id)))
            for u in self.identities.users.values()
            if tenant in u.memberships
        ]
        return members, self.revisions.get(tenant, 0)

    def change_member(
        self,
        tenant: str,
        revision: int,
        before: User | None,
        after: User,
        member: Any,
        event: Any,
    ) -> None:
        current = self.identities.users.get(after.id)
        if self.revisions.get(tenant, 0) != revision:
            raise Conflict("the members changed meanwhile; retry")
        if (before is None) != (current is None) or (
            current is not None and before is not None and current.memberships != before.memberships
        ):
            raise Conflict("the members changed meanwhile; retry")
        self.revisions[tenant] = revision + 1
        self.identities.users[after.id] = after
        if member is not None:
            self.joined.setdefault((tenant, after.id), member.joined_at)
        self.audit.put(event)


class FakePolicyStore:
    def __init__(self, identities: FakeIdentityStore, audit: FakeAuditLog) -> None:
        self.identities = identities
        self.audit = audit

    def set_policy(self, tenant: str, policy: Any, event: Any) -> None:
        current = self.identities.tenants.get(tenant)
        if current is None:
            raise Conflict("the tenant changed meanwhile; retry")
        self.identities.tenants[tenant] = replace(current, token_policy=policy)
        self.audit.put(event)


class FakeTokenLedger:
    """TokenLedger in memory, over the fake token and identity stores; events go to the fake
    audit log, notices to the fake notification store. `links`: tenant -> token id -> digest."""

    def __init__(
        self,
        tokens: FakeTokenStore,
        identities: FakeIdentityStore,
        audit: FakeAuditLog,
        notifications: FakeNotificationStore,
    ) -> None:
        self.tokens = tokens
        self.identities = identities
        self.audit = audit
        self.notifications = notifications
        self.links: dict[str, dict[str, str]] = {}

    def create(self, token: StoredToken, tenants: Iterable[str], event: Any) -> None:
        if token.digest in self.tokens.items:
            raise Conflict("token collision; retry")
        self.tokens.items[token.digest] = token
        for tenant in tenants:
            self.links.setdefault(tenant, {})[token.id] = token.digest
        self.audit.put(event)

    def revoke(
        self,
        tokens: Any,
        events: Any,
        notice: Any = None,
        *,
        unlink_from: Iterable[str] = (),
    ) -> bool:
        tenants = list(unlink_from)
        if len(tokens) * (1 + len(tenants)) + len(events) + (notice is not None) > 100:
            raise ValueError("a revocation exceeds one transaction")
        for token in tokens:
            current = self.tokens.items.get(token.digest)
            if current is None or current.owner != token.owner:
                return False  # all or nothing, as one transaction
        for token in tokens:
            del self.tokens.items[token.digest]
            for tenant in tenants:
                self.links.get(tenant, {}).pop(token.id, None)
        self.audit.put(*events)
        if notice is not None:
            self.notifications.put(notice)
        return True

    def rotate(
        self, old: StoredToken, new: StoredToken, tenants: Iterable[str], event: Any
    ) -> bool:
        current = self.tokens.items.get(old.digest)
        if current is None or current.owner != old.owner or current.superseded_by is not None:
            return False  # all or nothing, as one transaction
        if new.digest in self.tokens.items:
            return False
        self.tokens.items[new.digest] = new
        self.tokens.items[old.digest] = replace(
            current,
            family=old.family_id,
            superseded_by=old.superseded_by,
            valid_until=old.valid_until,
        )
        for tenant in tenants:
            self.links.setdefault(tenant, {})[new.id] = new.digest
        self.audit.put(event)
        return True

    def block(
        self,
        tenant: str,
        token: StoredToken,
        token_ids: Iterable[str],
        events: Any,
        notice: Any = None,
    ) -> bool:
        record = self.identities.tenants.get(tenant)
        current = self.tokens.items.get(token.digest)
        if record is None or current is None or current.owner != token.owner:
            return False
        if token.id in record.blocked_tokens:
            return False
        blocked = record.blocked_tokens | {token.id, *token_ids}
        self.identities.tenants[tenant] = replace(record, blocked_tokens=blocked)
        self.audit.put(*events)
        if notice is not None:
            self.notifications.put(notice)
        return True

    def revoke_all(self, user_id: str, when: datetime, event: Any) -> None:
        self.identities.revoke_tokens_before(user_id, when)
        self.audit.put(event)

    def link_tokens(self, tenant: str, tokens: Iterable[StoredToken]) -> None:
        for t in tokens:
            self.links.setdefault(tenant, {})[t.id] = t.digest

    def unlink_user(self, tenant: str, user_id: str) -> None:
        entries = self.links.get(tenant, {})
        for token_id, digest in list(entries.items()):
            token = self.tokens.items.get(digest)
            if token is None or token.owner == user_id:
                del entries[token_id]

    def tenant_tokens(self, tenant: str, cursor: str | None, limit: int) -> TokenPage:
        ids = sorted(self.links.get(tenant, {}), reverse=True)
        if cursor:
            ids = [i for i in ids if i < cursor]
        page = ids[:limit]
        found = []
        for token_id in page:
            token = self.tokens.items.get(self.links[tenant][token_id])
            if token is not None and token.id == token_id:
                found.append(token)
        return TokenPage(found, page[-1] if len(ids) > limit else None)

    def tenant_token(self, tenant: str, token_id: str) -> StoredToken | None:
        digest = self.links.get(tenant, {}).get(token_id)
        token = self.tokens.items.get(digest or "")
        return token if token is not None and token.id == token_id else None


# ---- expiry notices and leaked-token revocation (issue 14) ----


class FakeTokenLookup:
    """TokenLookup over the fake token store: `batches` counts get_many calls, `digests_read`
    every digest asked for (to check the same reads happen whatever the values were)."""

    def __init__(self, tokens: FakeTokenStore) -> None:
        self.tokens = tokens
        self.batches = 0
        self.digests_read: list[str] = []

    def get_many(self, digests: Iterable[str]) -> list[StoredToken]:
        self.tokens._maybe_fail()
        wanted = sorted(set(digests))
        self.batches += 1
        self.digests_read.extend(wanted)
        return [self.tokens.items[d] for d in wanted if d in self.tokens.items]

    def expiring_on(self, day: Any) -> list[StoredToken]:
        from sculptops.domain.expiry_notices import expires_on
        from sculptops.domain.identity import CredentialKind

        return [
            t
            for t in self.tokens.items.values()
            if t.kind is CredentialKind.TOKEN and expires_on(t.expires_at) == day.isoformat()
        ]


class FakeEventPublisher:
    """EventPublisher in memory: `events` in publish order."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, events: Any) -> int:
        self.events.extend(events)
        return len(events)
