"""Stream tickets: signed for one run, read-only, bounded in time, checked in the authorizer."""

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
from sculptops.domain.stream_ticket import TTL, StreamTickets, derive_key
from sculptops.observability import RedactingFilter, scrub
from sculptops.services.tokens import NewToken
from tests.conftest import SETTINGS, session

EVENT = json.loads((Path(__file__).parents[1] / "events" / "authorizer_request.json").read_text())
RUN = "exe_0000000000000000000000aa"
OTHER_RUN = "exe_0000000000000000000000bb"
STREAM = "/api/v1/{tenant_id}/executions/{id}/logs/stream"
COMPAT_STREAM = "/api/executions/{id}/logs/stream"


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
    t = tickets.issue("demo", RUN, "viewer@demo", clock.now())
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
    value = tickets.issue("demo", RUN, "viewer@demo", clock.now()).value
    forged = tickets.issue("demo", RUN, "admin@demo", clock.now()).value
    # admin@demo's payload with viewer@demo's signature
    spliced = forged.split(".")[0] + "." + value.split(".")[1]
    for bad in (spliced, value[:-1] + ("A" if value[-1] != "A" else "B"), value + "x", "st_.", ""):
        with pytest.raises(NotAuthenticated):
            tickets.verify(bad, RUN, clock.now())


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
    from tests.fakes import FakeClock, FakeIdentityStore, FakeTokenStore

    c = build(
        dataclasses.replace(SETTINGS, token_pepper=None),
        token_store=FakeTokenStore(),
        identity_store=FakeIdentityStore(),
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
