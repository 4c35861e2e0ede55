"""Stream tickets: signed for one run, read-only, bounded in time, checked in the authorizer."""

import base64
import copy
import dataclasses
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from sculptops.aws.authorizer import authorize
from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.identity import CredentialKind
from sculptops.domain.roles import Role
from sculptops.domain.stream_ticket import TTL, StreamTickets, derive_key
from sculptops.observability import RedactingFilter, scrub
from sculptops.services.tokens import NewToken
from tests.conftest import SETTINGS, session

EVENT = json.loads((Path(__file__).parents[1] / "events" / "authorizer_request.json").read_text())
RUN = "exe_0000000000000000000000aa"
OTHER_RUN = "exe_0000000000000000000000bb"
STREAM = "/api/v1/{tenant_id}/executions/{id}/logs/stream"
COMPAT_STREAM = "/api/executions/{id}/logs/stream"
KEY = derive_key(b"test-pepper-0123456789")
# A ticket asked for with an OIDC access token names no credential id.
BY_JWT = {"credential": CredentialKind.JWT, "credential_id": None}


def _event(ticket=None, *, tenant="demo", run=RUN, resource=STREAM, method="GET", headers=None):
    e = copy.deepcopy(EVENT)
    e["headers"].update(headers or {})
    e["multiValueHeaders"] = {k: [v] for k, v in e["headers"].items()}
    e["resource"] = resource
    e["httpMethod"] = method
    params = {"id": run}
    if "{tenant_id}" in resource:
        params["tenant_id"] = tenant
    e["pathParameters"] = params
    if ticket is not None:
        e["queryStringParameters"] = {"ticket": ticket}
        e["multiValueQueryStringParameters"] = {"ticket": [ticket]}
    e["methodArn"] = f"arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/{method}{resource}"
    return e


def _ticket(fake, user="admin@demo", tenant="demo", run=RUN):
    return fake.authenticator.issue_stream_ticket(session(fake, user, tenant), run).value


def _effect(result):
    return result["policyDocument"]["Statement"][0]["Effect"]


def _refused(fake, event):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(fake.authenticator, event)


# ---- the ticket itself ----


def test_the_key_is_derived_from_the_pepper_under_its_own_label():
    pepper = b"test-pepper-0123456789"
    assert derive_key(pepper) != pepper and len(derive_key(pepper)) == 32
    assert derive_key(pepper) != derive_key(b"another-pepper-0123456")


def test_a_ticket_verifies_for_its_run_only_and_until_it_expires(clock):
    tickets = StreamTickets(derive_key(b"test-pepper-0123456789"))
    t = tickets.issue("demo", RUN, "viewer@demo", clock.now(), **BY_JWT)
    assert t.value.startswith("st_") and t.expires_at == clock.now().replace(microsecond=0) + TTL
    assert tickets.verify(t.value, RUN, clock.now()).subject == "viewer@demo"
    with pytest.raises(NotAuthenticated):
        tickets.verify(t.value, OTHER_RUN, clock.now())
    with pytest.raises(NotAuthenticated):
        tickets.verify(t.value, RUN, t.expires_at)
    with pytest.raises(NotAuthenticated):  # another key (another deployment's pepper)
        StreamTickets(derive_key(b"another-pepper-0123456")).verify(t.value, RUN, clock.now())


def test_a_ticket_never_outlives_the_credential_that_asked(fake):
    caller = dataclasses.replace(
        session(fake, "admin@demo"), expires_at=fake.clock.now() + timedelta(minutes=5)
    )
    ticket = fake.authenticator.issue_stream_ticket(caller, RUN)
    assert ticket.expires_at <= fake.clock.now() + timedelta(minutes=5)
    assert _effect(authorize(fake.authenticator, _event(ticket.value))) == "Allow"
    fake.clock.advance(minutes=5, seconds=1)
    _refused(fake, _event(ticket.value))


def test_a_tampered_ticket_fails(clock):
    tickets = StreamTickets(derive_key(b"test-pepper-0123456789"))
    value = tickets.issue("demo", RUN, "viewer@demo", clock.now(), **BY_JWT).value
    forged = tickets.issue("demo", RUN, "admin@demo", clock.now(), **BY_JWT).value
    # admin@demo's payload with viewer@demo's signature
    spliced = forged.split(".")[0] + "." + value.split(".")[1]
    for bad in (spliced, value[:-1] + ("A" if value[-1] != "A" else "B"), value + "x", "st_.", ""):
        with pytest.raises(NotAuthenticated):
            tickets.verify(bad, RUN, clock.now())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _payload(value: str) -> bytes:
    text = value.removeprefix("st_").split(".")[0]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_ticket_names_the_credential_that_asked_for_it(clock):
    tickets = StreamTickets(KEY)
    by_token = tickets.issue(
        "demo",
        RUN,
        "admin@demo",
        clock.now(),
        credential=CredentialKind.TOKEN,
        credential_id="tok_1",
    )
    by_jwt = tickets.issue("demo", RUN, "admin@demo", clock.now(), **BY_JWT)
    assert json.loads(_payload(by_token.value))[4:] == ["token", "tok_1"]
    assert json.loads(_payload(by_jwt.value))[4:] == ["jwt", ""]
    verified = tickets.verify(by_token.value, RUN, clock.now())
    assert (verified.credential, verified.credential_id) == (CredentialKind.TOKEN, "tok_1")
    verified = tickets.verify(by_jwt.value, RUN, clock.now())
    assert (verified.credential, verified.credential_id) == (CredentialKind.JWT, None)
    for bad in (
        {"credential": CredentialKind.TOKEN, "credential_id": None},
        {"credential": CredentialKind.AGENT, "credential_id": "agt_1"},
        {"credential": CredentialKind.TICKET, "credential_id": None},
    ):
        with pytest.raises(ValueError):
            tickets.issue("demo", RUN, "admin@demo", clock.now(), **bad)


def test_a_re_encoded_payload_fails_though_its_fields_are_the_same(clock):
    # Given a valid ticket
    value = StreamTickets(KEY).issue("demo", RUN, "viewer@demo", clock.now(), **BY_JWT).value
    payload, mac = value.removeprefix("st_").split(".")
    fields = json.loads(_payload(value))
    # When its payload is spelled another way: spaces, padding, escapes, another MAC spelling
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(mac[-1]) ^ 1]  # one of the two bits a 32-byte MAC leaves unused
    escaped = json.dumps(fields, separators=(",", ":")).replace("@", "\\u0040")
    respelled = [
        f"st_{_b64(json.dumps(fields).encode())}.{mac}",
        f"st_{_b64(escaped.encode())}.{mac}",
        f"st_{payload}=.{mac}",
        f"st_{payload}.{mac[:-1]}{last}",
    ]
    assert base64.urlsafe_b64decode(mac + "=") == base64.urlsafe_b64decode(mac[:-1] + last + "=")
    # Then each is refused
    for bad in respelled:
        with pytest.raises(NotAuthenticated):
            StreamTickets(KEY).verify(bad, RUN, clock.now())


def test_a_payload_signed_as_received_must_still_be_canonical(clock):
    # Given a payload with the right MAC over its exact bytes, but not canonical JSON
    tickets = StreamTickets(KEY)
    fields = ["demo", "viewer@demo", 0, 2**32, "jwt", ""]
    for encoded in (json.dumps(fields).encode(), b" " + json.dumps(fields).encode()):
        payload = _b64(encoded)
        forged = f"st_{payload}.{tickets._mac(RUN, payload)}"
        # Then it is refused though the MAC holds
        with pytest.raises(NotAuthenticated) as refused:
            tickets.verify(forged, RUN, clock.now())
        assert refused.value.reason == "malformed"
    canonical = _b64(json.dumps(fields, separators=(",", ":")).encode())
    assert tickets.verify(f"st_{canonical}.{tickets._mac(RUN, canonical)}", RUN, clock.now())


def test_the_mac_is_checked_before_the_payload_is_decoded(clock):
    # A payload that is not even base64 of JSON, under a wrong MAC: refused as a bad ticket
    with pytest.raises(NotAuthenticated) as refused:
        StreamTickets(KEY).verify("st_" + "_" * 10 + "." + "A" * 43, RUN, clock.now())
    assert refused.value.reason == "bad-ticket"


# ---- in the authorizer ----


def test_a_ticket_allows_the_stream_get_as_a_viewer_at_most(fake):
    result = authorize(fake.authenticator, _event(_ticket(fake, "admin@demo")))
    assert _effect(result) == "Allow"
    ctx = result["context"]
    assert ctx["subject"] == "admin@demo" and ctx["tenant"] == "demo"
    assert ctx["role"] == "viewer" and ctx["kind"] == CredentialKind.TICKET.value
    assert ctx["credential_id"] == ""


def test_a_canonical_ticket_works_on_the_compat_stream_of_the_same_run(fake):
    result = authorize(fake.authenticator, _event(_ticket(fake), resource=COMPAT_STREAM))
    assert _effect(result) == "Allow" and result["context"]["tenant"] == "demo"


@pytest.mark.parametrize(
    ("resource", "method"),
    [
        ("/api/v1/{tenant_id}/executions/{id}/logs", "GET"),
        ("/api/v1/{tenant_id}/executions/{id}", "GET"),
        ("/api/v1/{tenant_id}/executions/{id}/cancel", "POST"),
        ("/api/v1/{tenant_id}/executions/{id}/logs/stream-url", "POST"),
        (STREAM, "POST"),
        ("/api/v1/{tenant_id}/tokens", "GET"),
    ],
)
def test_a_ticket_opens_no_other_route(fake, resource, method):
    _refused(fake, _event(_ticket(fake), resource=resource, method=method))


def test_another_run_or_tenant_is_refused_like_any_bad_credential(fake):
    _refused(fake, _event(_ticket(fake), run=OTHER_RUN))
    _refused(fake, _event(_ticket(fake), tenant="acme"))
    _refused(fake, _event(_ticket(fake, "member@demo", "acme"), tenant="demo"))


def test_an_expired_ticket_is_refused(fake):
    ticket = _ticket(fake)
    fake.clock.advance(seconds=TTL.total_seconds() + 1)
    _refused(fake, _event(ticket))


def test_a_malformed_or_doubled_ticket_is_refused(fake):
    for bad in ("", "st_", "ag_live_" + "A" * 36, "x" * 5000):
        _refused(fake, _event(bad))
    event = _event(_ticket(fake))
    event["multiValueQueryStringParameters"]["ticket"].append("st_other.x")
    _refused(fake, event)


def test_membership_is_checked_at_use(fake):
    ticket = _ticket(fake, "viewer@demo")
    user = fake.identity_store.get_user("viewer@demo")
    fake.identity_store.put_user(dataclasses.replace(user, memberships={}))
    result = authorize(fake.authenticator, _event(ticket))
    assert _effect(result) == "Deny"
    assert "not a member of tenant demo" in result["context"]["reason"]


def test_revoke_all_ends_the_tickets_issued_before_it(fake):
    ticket = _ticket(fake, "member@demo")
    fake.clock.advance(seconds=5)
    caller = session(fake, "member@demo")
    fake.tokens.revoke_all(caller)
    _refused(fake, _event(ticket))


def _token_caller(fake, user="member@demo", tenant="demo", ceiling=None):
    created = fake.tokens.create(session(fake, user), NewToken(name="t", ceiling=ceiling))
    principal = fake.authenticator.authenticate(created.value)
    return fake.authenticator.act_in(principal, tenant)


def test_a_ticket_from_a_token_ends_when_the_token_is_deleted(fake):
    # Given a ticket asked for with a personal token
    caller = _token_caller(fake)
    ticket = fake.authenticator.issue_stream_ticket(caller, RUN).value
    assert _effect(authorize(fake.authenticator, _event(ticket))) == "Allow"
    # When the token is deleted
    fake.tokens.delete(session(fake, "member@demo"), caller.credential_id)
    # Then the ticket is refused like any bad credential
    _refused(fake, _event(ticket))


def test_a_ticket_from_a_token_ends_with_a_ceiling_tokens_revoke_all(fake):
    # Given a ticket asked for with a ceiling token, which revokes all it manages, itself too
    caller = _token_caller(fake, ceiling=Role.MEMBER)
    ticket = fake.authenticator.issue_stream_ticket(caller, RUN).value
    fake.clock.advance(seconds=5)
    fake.tokens.revoke_all(caller)
    # Then the watermark did not move, and yet the ticket is refused
    assert fake.identity_store.get_user("member@demo").tokens_revoked_before is None
    _refused(fake, _event(ticket))


def test_a_ticket_from_a_token_is_refused_once_the_token_expired(fake):
    caller = _token_caller(fake)
    ticket = fake.authenticator.issue_stream_ticket(caller, RUN).value
    stored = next(t for t in fake.token_store.items.values() if t.id == caller.credential_id)
    past = fake.clock.now() - timedelta(seconds=1)
    fake.token_store.items[stored.digest] = dataclasses.replace(stored, expires_at=past)
    _refused(fake, _event(ticket))


def test_a_stale_index_cannot_keep_a_deleted_tokens_ticket_alive(fake):
    # Given the owner index still shows a token that the table no longer holds
    caller = _token_caller(fake)
    ticket = fake.authenticator.issue_stream_ticket(caller, RUN).value
    stored = next(t for t in fake.token_store.items.values() if t.id == caller.credential_id)
    del fake.token_store.items[stored.digest]
    fake.token_store.find = lambda owner, token_id: stored  # an eventually consistent GSI
    # Then the strongly consistent read by digest decides
    _refused(fake, _event(ticket))


def test_a_jwt_ticket_reads_no_token(fake):
    ticket = _ticket(fake, "viewer@demo")
    reads = fake.token_store.reads
    assert _effect(authorize(fake.authenticator, _event(ticket))) == "Allow"
    assert fake.token_store.reads == reads


def test_a_header_credential_takes_precedence_over_a_ticket(fake):
    value = fake.tokens.create(session(fake, "admin@demo"), NewToken(name="t")).value
    result = authorize(
        fake.authenticator, _event("st_bogus.x", headers={"Authorization": f"Bearer {value}"})
    )
    assert _effect(result) == "Allow" and result["context"]["role"] == "admin"


def test_agents_and_tickets_cannot_ask_for_tickets(fake):
    caller = dataclasses.replace(session(fake, "admin@demo"), kind=CredentialKind.AGENT)
    with pytest.raises(Exception, match="person"):
        fake.authenticator.issue_stream_ticket(caller, RUN)


def test_no_pepper_no_tickets():
    from sculptops.bootstrap import build
    from tests.fakes import FakeClock, fake_stores

    c = build(
        dataclasses.replace(SETTINGS, token_pepper=None),
        **fake_stores(),
        clock=FakeClock(),
    )
    with pytest.raises(NotAuthenticated):
        c.authenticator.authenticate_stream_ticket("st_x.y", "demo", RUN)


# ---- never in a log ----


def test_tickets_are_never_logged(fake, caplog):
    caplog.set_level("DEBUG")
    ticket = _ticket(fake)
    authorize(fake.authenticator, _event(ticket))
    _refused(fake, _event(ticket, run=OTHER_RUN))
    assert ticket not in caplog.text
    url = f"/api/v1/demo/executions/{RUN}/logs/stream?ticket={ticket}&limit=5"
    assert ticket not in scrub(f"GET {url}") and "limit=5" in scrub(url)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "saw %s", (ticket,), None)
    RedactingFilter().filter(record)
    assert ticket not in record.getMessage()


# ---- the URL ----


@pytest.mark.parametrize(
    ("context_path", "path", "prefix"),
    [
        ("/prod/api/v1/demo/x", "/api/v1/demo/x", "/prod"),  # the execute-api host: the stage
        ("/api/v1/demo/x", "/api/v1/demo/x", ""),  # a custom domain, the local stack
        ("/odd path/api/x", "/api/x", ""),
        (None, "/api/x", ""),
    ],
)
def test_the_stream_url_keeps_the_stage_of_the_host(context_path, path, prefix):
    from types import SimpleNamespace

    from sculptops.http.routers.executions import _stage_prefix

    event = {"path": path, "requestContext": {"path": context_path}}
    assert _stage_prefix(SimpleNamespace(scope={"aws.event": event})) == prefix
