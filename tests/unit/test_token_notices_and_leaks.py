"""Expiry notices (once per token and kind, never a value), the expiration header, and the
public revocation of leaked tokens (the same reads for every value, never an error), on fakes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sculptops.adapters.leak_dispatch import ThreadLeakDispatcher
from sculptops.bootstrap import Container, build
from sculptops.domain import caller_context, expiry_notices, token_format
from sculptops.domain.errors import InvalidInput, Unavailable
from sculptops.domain.expiry_notices import NoticeKind
from sculptops.domain.governance import AuditType
from sculptops.domain.identity import Caller, CredentialKind, RequestOrigin
from sculptops.domain.leak_batches import (
    MAX_LENGTH,
    MAX_PAYLOAD_BYTES,
    MAX_VALUES,
    LeakBatch,
    encode_batch,
)
from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken
from sculptops.http.expiration_header import expiration_value
from sculptops.local import seed
from sculptops.local.waf import RequestLimiter
from sculptops.services.tokens import NewToken
from sculptops.settings import Settings, SettingsError
from tests.conftest import SETTINGS, session
from tests.fakes import (
    FakeClock,
    FakeEventPublisher,
    FakeIdentityStore,
    FakeJwtVerifier,
    fake_stores,
)

ORIGIN = RequestOrigin("203.0.113.9", "scanner/1.0", "req-1")


@pytest.fixture
def c() -> Iterator[Container]:
    identities = FakeIdentityStore()
    seed.seed_identity(identities)
    yield build(
        SETTINGS,
        **fake_stores(identity_store=identities),
        clock=FakeClock(),
        jwt_verifier=FakeJwtVerifier(),
        event_publisher=FakeEventPublisher(),
    )


def _published(c: Container) -> list:
    assert isinstance(c.events, FakeEventPublisher)
    return c.events.events


def _token(c: Container, user: str = "member@demo", days: int = 3, name: str = "ci"):
    return c.tokens.create(session(c, user), NewToken(name=name, expires_in_days=days))


def _stored(expires_in: timedelta, kind: CredentialKind = CredentialKind.TOKEN) -> StoredToken:
    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    return StoredToken("d", "tok_1", kind, "u", "n", now, now + expires_in)


# ---- the rules ----


@pytest.mark.parametrize(
    ("left", "kind"),
    [
        (timedelta(days=8), None),
        (timedelta(days=7, seconds=1), None),
        (timedelta(days=7), NoticeKind.EXPIRING),
        (timedelta(days=1, seconds=1), NoticeKind.EXPIRING),
        (timedelta(days=1), NoticeKind.EXPIRES_TODAY),
        (timedelta(seconds=1), NoticeKind.EXPIRES_TODAY),
        (timedelta(0), None),  # expired: nothing more to say
    ],
)
def test_which_notice_a_token_is_due(left: timedelta, kind: NoticeKind | None) -> None:
    token = _stored(left)
    assert expiry_notices.kind_for(token, token.created_at) is kind


def test_agent_tokens_get_no_expiry_notice() -> None:
    token = _stored(timedelta(days=2), CredentialKind.AGENT)
    assert expiry_notices.kind_for(token, token.created_at) is None


def test_the_job_reads_today_and_the_next_seven_days() -> None:
    days = expiry_notices.days_to_query(datetime(2026, 12, 30, 23, 59, tzinfo=UTC))
    assert [d.isoformat() for d in (days[0], days[-1])] == ["2026-12-30", "2027-01-06"]
    assert len(days) == 8


# ---- the job ----


def test_a_token_expiring_in_3_days_gets_one_notice_and_one_event(c: Container) -> None:
    # Given a member's token that expires in 3 days
    created = _token(c)
    # When the job runs twice the same day
    first = c.expiry_notices.run()
    second = c.expiry_notices.run()
    # Then one notice and one event, named by token, never by value
    assert (first.notices_written, first.events_published) == (1, 1)
    assert (second.notices_written, second.already_notified) == (0, 1)
    (note,) = c.notification_store.list_for_user("member@demo", None, 10).notifications
    assert note.type == "token.expiring" and note.token_id == created.token.id
    assert "'ci'" in note.message and "in 3 days" in note.message and " UTC" in note.message
    assert created.value not in note.message and created.token.digest not in note.message
    (event,) = _published(c)
    assert (event.source, event.detail_type) == ("sculptops", "Token Expiring")
    assert event.detail["token_id"] == created.token.id
    assert created.value not in str(event.detail) and created.token.digest not in str(event.detail)


def test_its_last_day_brings_a_second_notice_once(c: Container) -> None:
    # Given a token notified 3 days before its expiry
    _token(c)
    c.expiry_notices.run()
    # When its last day comes, and the job runs on it twice
    assert isinstance(c.clock, FakeClock)
    c.clock.advance(days=2, hours=1)
    assert c.expiry_notices.run().notices_written == 1
    assert c.expiry_notices.run().notices_written == 0
    # Then the owner has both, newest first
    notes = c.notification_store.list_for_user("member@demo", None, 10).notifications
    assert [n.type for n in notes] == ["token.expires_today", "token.expiring"]
    assert "less than a day" in notes[0].message


def test_tokens_far_from_expiry_and_expired_ones_get_nothing(c: Container) -> None:
    _token(c, days=30)
    _token(c, days=1, name="soon")
    assert isinstance(c.clock, FakeClock)
    c.clock.advance(days=2)  # "soon" has expired
    assert c.expiry_notices.run().notices_written == 0


# ---- the expiration header ----


def _context(kind: CredentialKind, expires_at: datetime | None) -> dict[str, str]:
    caller = Caller(kind=kind, subject="u", tenant="demo", role=Role.ADMIN, expires_at=expires_at)
    return caller_context.encode(caller)


def test_the_header_is_for_personal_tokens_that_expire_within_7_days() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    soon = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert expiration_value(_context(CredentialKind.TOKEN, soon), now) == "2026-11-30 12:00:00 UTC"
    later = soon + timedelta(seconds=1)
    assert expiration_value(_context(CredentialKind.TOKEN, later), now) is None
    assert expiration_value(_context(CredentialKind.JWT, soon), now) is None
    assert expiration_value(_context(CredentialKind.AGENT, None), now) is None
    assert expiration_value(None, now) is None
    assert expiration_value({"kind": "token"}, now) is None  # half a context: nothing


# ---- public revocation of leaked tokens ----


def test_a_leaked_token_is_revoked_its_owner_told_and_each_tenant_audited(c: Container) -> None:
    # Given member@demo's token (member of demo, viewer of acme), and a token it minted
    created = _token(c, days=30)
    child_caller = c.authenticator.act_in(c.authenticator.authenticate(created.value), "demo")
    child = c.tokens.create(child_caller, NewToken(name="child", expires_in_days=1))
    # When it is posted among noise
    report = c.leaks.revoke(["nothing", created.value, "ag_live_" + "0" * 36], ORIGIN)
    # Then it and its child fail at once
    assert report.revoked == 1
    assert c.token_store.get(created.token.digest) is None
    assert c.token_store.get(child.token.digest) is None
    # And its owner has a notice, each of the owner's tenants an audit event with the origin
    (note,) = c.notification_store.list_for_user("member@demo", None, 10).notifications
    assert note.type == "token.revoked_as_leaked" and note.token_id == created.token.id
    assert created.value not in note.message
    events = [
        e
        for t in ("demo", "acme")
        for e in c.audit_log.list_events(t, None, 10, AuditType.TOKEN_REVOKED_LEAKED, None).events
    ]
    assert sorted(e.tenant for e in events) == ["acme", "demo"]
    assert all(e.origin == ORIGIN and e.actor.user_id is None for e in events)
    assert all(created.value not in str(e.details) for e in events)
    assert [e.detail_type for e in _published(c)] == ["Token Revoked As Leaked"]


def test_an_agent_token_is_revoked_with_an_audit_event_in_its_tenant(c: Container) -> None:
    agent = c.agents.register(session(c, "admin@demo", "demo"), "leaky")
    assert c.leaks.revoke([agent.token], ORIGIN).revoked == 1
    with pytest.raises(Exception, match="Unauthorized"):
        c.authenticator.authenticate(agent.token)
    events = c.audit_log.list_events("demo", None, 5, AuditType.TOKEN_REVOKED_LEAKED, None).events
    assert len(events) == 1 and events[0].details["kind"] == "agent"


class _Recorder:
    """A LeakDispatcher that keeps the payloads (the worker never runs)."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []

    def submit(self, payload: bytes) -> None:
        self.payloads.append(payload)


def _intake_container(dispatcher: object) -> Container:
    identities = FakeIdentityStore()
    seed.seed_identity(identities)
    return build(
        SETTINGS,
        **fake_stores(identity_store=identities),
        clock=FakeClock(),
        jwt_verifier=FakeJwtVerifier(),
        event_publisher=FakeEventPublisher(),
        leak_dispatcher=dispatcher,  # type: ignore[arg-type]
    )


def test_the_request_path_reads_nothing_and_hands_every_list_to_the_worker() -> None:
    # Given a container whose worker only records what it is handed
    recorder = _Recorder()
    c = _intake_container(recorder)
    valid = [_token(c, days=30, name=f"t{i}").value for i in range(3)]
    unknown = [c.tokens.create(session(c, "admin@demo"), NewToken(name="x")).value]
    c.tokens.revoke_all(session(c, "admin@demo"))  # now well-formed but unknown
    malformed = ["ag_live_" + "A" * 36, "hello", "ag_agent_short"]
    lookup = c.token_lookup
    before = (lookup.batches, len(lookup.digests_read))  # type: ignore[attr-defined]
    for values in (valid, unknown * 3, malformed, []):
        assert c.leak_intake.accept(values, ORIGIN) == len(values)
    # Then no read of the tokens at all, and the valid ones are still live (not yet revoked)
    assert (lookup.batches, len(lookup.digests_read)) == before  # type: ignore[attr-defined]
    assert all(c.authenticator.authenticate(v) for v in valid)
    # And every request, the empty list included, went to the worker: the well-formed
    # values' digests (once each), never a value, and the origin
    batches = [LeakBatch.from_payload(json.loads(p)) for p in recorder.payloads]
    assert [len(b.digests) for b in batches] == [3, 1, 0, 0]
    hasher = token_format.TokenHasher(SETTINGS.token_pepper)
    assert {d for d, _ in batches[0].digests} == {hasher.digest(v) for v in valid}
    assert all(v.encode() not in p for p in recorder.payloads for v in valid + unknown)
    assert batches[0].origin == ORIGIN


def test_the_largest_batch_fits_an_asynchronous_invocation() -> None:
    recorder = _Recorder()
    c = _intake_container(recorder)
    long_origin = RequestOrigin("2001:db8::" + "f" * 240, "u" * 400, "r" * 300)
    values = [token_format.generate("ag_live_") for _ in range(MAX_VALUES)]
    c.leak_intake.accept(values, long_origin)
    (payload,) = recorder.payloads
    # 1,000 digests and the origin: about 70 KB, well under the 256 KB limit of Lambda's
    # asynchronous invocation (and each origin field bounded)
    assert len(payload) < MAX_PAYLOAD_BYTES / 3
    assert len(LeakBatch.from_payload(json.loads(payload)).digests) == MAX_VALUES
    with pytest.raises(ValueError):
        encode_batch({"version": 1, "pad": "x" * MAX_PAYLOAD_BYTES})
    assert MAX_LENGTH == 200


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"version": 1, "tokens": ["nothex"], "agents": []},
        {"version": 1, "tokens": "abc", "agents": []},
        {"version": 2, "tokens": [], "agents": []},
        {"version": 1, "tokens": ["a" * 64] * (MAX_VALUES + 1), "agents": []},
    ],
)
def test_the_worker_refuses_an_event_that_is_not_a_leak_batch(payload: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        LeakBatch.from_payload(payload)


def test_the_thread_worker_revokes_out_of_band_and_a_full_queue_is_503() -> None:
    # Given the local worker: a queue of one batch, and a worker that can be held
    gate = threading.Event()
    runs: list[dict[str, object]] = []

    def run(event: dict[str, object]) -> None:
        gate.wait(5)
        runs.append(event)

    dispatcher = ThreadLeakDispatcher(run, max_pending=1)
    c = _intake_container(dispatcher)
    created = _token(c, days=30)
    c.leak_intake.accept([created.value], ORIGIN)  # taken by the worker, held at the gate
    deadline = time.monotonic() + 5
    while dispatcher._queue.qsize() and time.monotonic() < deadline:
        time.sleep(0.01)
    c.leak_intake.accept([], ORIGIN)  # waits in the queue
    # When one more comes while the queue is full: 503 with Retry-After, never blocking
    with pytest.raises(Unavailable) as full:
        c.leak_intake.accept(["x"], ORIGIN)
    assert full.value.retry_after >= 1
    gate.set()
    assert dispatcher.wait_idle(5)
    assert len(runs) == 2


def test_the_default_local_worker_revokes_shortly_after_the_answer(c: Container) -> None:
    created = _token(c, days=30)
    c.leak_intake.accept(["noise", created.value], ORIGIN)
    assert c.leak_dispatcher.wait_idle(10)  # type: ignore[attr-defined]
    assert c.token_store.get(created.token.digest) is None
    (note,) = c.notification_store.list_for_user("member@demo", None, 10).notifications
    assert note.type == "token.revoked_as_leaked"


def test_the_worker_reads_only_the_well_formed_values_digests(c: Container) -> None:
    valid = [_token(c, days=30, name=f"t{i}").value for i in range(3)]
    malformed = ["ag_live_" + "A" * 36, "hello", "ag_agent_short"]
    lookup = c.token_lookup
    before = (lookup.batches, len(lookup.digests_read))  # type: ignore[attr-defined]
    assert c.leaks.revoke(valid + malformed, ORIGIN).revoked == 3
    after = (lookup.batches, len(lookup.digests_read))  # type: ignore[attr-defined]
    assert (after[0] - before[0], after[1] - before[1]) == (1, 3)


def test_a_failed_revocation_never_becomes_an_error_the_caller_sees(c: Container) -> None:
    created = _token(c, days=30)

    def broken(*args: object, **kwargs: object) -> bool:
        raise Unavailable("throttled")

    c.token_ledger.revoke = broken  # type: ignore[method-assign]
    assert c.leaks.revoke([created.value], ORIGIN).revoked == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (["x"] * (MAX_VALUES + 1), "credentials"),
        (["ok", 7], "credentials[1]"),
        (["x" * 201], "credentials[0]"),
    ],
)
def test_the_list_shape_is_refused_naming_the_field(
    c: Container, values: list[object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        c.leaks.revoke(values, ORIGIN)
    assert refused.value.field == field


# ---- the local rate limit, the settings ----


def test_the_local_revoke_limiter_holds_back_a_source_over_its_limit() -> None:
    limiter = RequestLimiter(3, window_seconds=60)
    assert [limiter.hit("1.2.3.4") for _ in range(3)] == [0, 0, 0]
    assert 1 <= limiter.hit("1.2.3.4") <= 61
    assert limiter.hit("5.6.7.8") == 0  # another source is not held back


def test_event_settings_are_checked() -> None:
    assert Settings.from_env({}).events == "eventbridge"
    assert Settings.from_env({"SCULPTOPS_EVENT_BUS": "ops-bus"}).event_bus == "ops-bus"
    with pytest.raises(SettingsError):
        Settings.from_env({"SCULPTOPS_EVENTS": "smtp"})
    with pytest.raises(SettingsError):
        Settings.from_env({"SCULPTOPS_EVENT_BUS": "bad bus!"})
