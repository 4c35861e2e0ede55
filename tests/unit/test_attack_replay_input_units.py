"""Unit checks behind tests/security/test_attack_replay_input.py: the same rules, no stack."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from sculptops.domain.catalog import validate_playbook
from sculptops.domain.errors import Forbidden, InvalidInput
from sculptops.domain.identity import CredentialKind, Principal
from sculptops.domain.token_format import generate
from sculptops.http.agent_schemas import AgentIn, AgentLogBatch, FinishIn
from sculptops.http.body import Refused, check_json, decode_query, refusal_body
from sculptops.http.errors import public
from sculptops.http.schemas import InventoryIn, TokenCreate
from sculptops.observability import scrub
from sculptops.services.token_terms import as_utc as _as_utc

# ---- datetimes that UTC cannot hold ----


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:30:00+14:00"],
)
def test_an_expiry_out_of_utc_range_is_a_validation_error(value: str) -> None:
    with pytest.raises(ValidationError) as err:
        TokenCreate.model_validate({"name": "x", "expiryDate": value})
    first = err.value.errors()[0]
    assert first["loc"][0] == "expiryDate"
    assert first["msg"] == "is out of range once converted to UTC"


def test_datetimes_come_out_in_utc() -> None:
    got = TokenCreate.model_validate({"name": "x", "expiry_date": "2030-01-01T05:00:00+05:00"})
    assert got.expiry_date == datetime(2030, 1, 1, tzinfo=UTC)
    assert got.expiry_date.tzinfo is UTC  # type: ignore[union-attr]
    naive = AgentLogBatch.model_validate(
        {"first_seq": 1, "lines": [{"line": "x", "ts": "2030-01-01T00:00:00"}]}
    )
    assert naive.lines[0].ts == datetime(2030, 1, 1, tzinfo=UTC)


def test_the_token_service_refuses_what_utc_cannot_hold() -> None:
    far = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1)))
    with pytest.raises(InvalidInput) as err:
        _as_utc(far)
    assert err.value.field == "expiry_date"
    assert _as_utc(date(2030, 1, 1)) == datetime(2030, 1, 1, 23, 59, 59, tzinfo=UTC)


# ---- YAML that Python cannot convert ----


@pytest.mark.parametrize(
    "content",
    [
        "- hosts: all\n  vars: {a: 1" + "0" * 4300 + "}\n",
        "- hosts: all\n  vars: {a: -" + "9" * 5000 + "}\n",
        "- hosts: all\n  vars: {when: 0000-01-01}\n",
        "- hosts: all\n  vars: {when: 2021-02-30}\n",
    ],
    ids=["4301 digits", "negative 5000 digits", "year 0", "30 February"],
)
def test_a_yaml_value_python_cannot_read_is_invalid_content(content: str) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_playbook(content)
    assert err.value.field == "content"


# ---- names ----


@pytest.mark.parametrize(
    "char", ["\x00", "\x1b", "\t", "\n", "\r", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)],
)  # fmt: skip
def test_every_name_field_refuses_controls_and_bidi(char: str) -> None:
    for model, body, loc in [
        (TokenCreate, {"name": f"a{char}"}, ("name",)),
        (AgentIn, {"name": f"a{char}"}, ("name",)),
        (InventoryIn, {"name": f"a{char}", "hosts": [{"name": "h"}]}, ("name",)),
        (InventoryIn, {"name": "i", "hosts": [{"name": f"h{char}"}]}, ("hosts", 0, "name")),
    ]:
        with pytest.raises(ValidationError) as err:
            model.model_validate(body)
        assert err.value.errors()[0]["loc"] == loc


def test_names_keep_ordinary_unicode() -> None:
    assert (
        TokenCreate.model_validate({"name": "Überprüfung – 東京 ✓"}).name == "Überprüfung – 東京 ✓"
    )


# ---- strict integers ----


@pytest.mark.parametrize("value", [True, "3", 3.0])
def test_integer_fields_take_json_integers_only(value: object) -> None:
    for model, body in [
        (TokenCreate, {"name": "x", "expires_in_days": value}),
        (AgentLogBatch, {"first_seq": value, "lines": [{"line": "x"}]}),
        (FinishIn, {"exit_code": value}),
    ]:
        with pytest.raises(ValidationError):
            model.model_validate(body)
    assert TokenCreate.model_validate({"name": "x", "expires_in_days": 3}).expires_in_days == 3


# ---- duplicate keys ----


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"name":"\\ud800","name":"ok"}', "name"),
        (b'{"name":"ok","name":"ok"}', "name"),
        (b'{"a":[{"b":{"c":1,"c":1}}]}', "a.0.b.c"),
        (b'{"\\u001b":1,"\\u001b":2}', "\\x1b"),
    ],
)
def test_a_key_given_twice_is_refused_naming_it(raw: bytes, field: str) -> None:
    with pytest.raises(Refused) as err:
        check_json(raw)
    assert (err.value.status, err.value.field) == (422, field)


def test_distinct_keys_pass() -> None:
    check_json(b'{"name":"ok","nested":{"name":"ok"},"list":[{"name":1},{"name":2}]}')


# ---- the query string ----


def test_decode_query_is_strict_utf8_and_keeps_stray_percent_literal() -> None:
    assert decode_query(b"a=1&b=&c&d=caf%C3%A9&e=%&f=%zz&g=a+b") == [
        ("a", "1"),
        ("b", ""),
        ("c", ""),
        ("d", "café"),
        ("e", "%"),
        ("f", "%zz"),
        ("g", "a b"),
    ]
    for bad in (b"%ED%A0%80", b"%FF", b"%C0%80"):
        with pytest.raises(Refused) as err:
            decode_query(b"limit=5&playbook_id=" + bad)
        assert (err.value.field, err.value.where) == ("playbook_id", "query")


# ---- what error bodies echo ----


def test_public_drops_a_non_id_and_redacts_credentials() -> None:
    token, agent = generate("ag_live_"), generate("ag_agent_")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert public(f"token {token} not found") == "token not found"
    assert public(f"execution {jwt} not found") == "execution not found"
    assert public(f"no playbook {token} in demo") == "no such playbook in demo"
    assert public("token tok_0123456789abcdef01234567 not found") == (
        "token tok_0123456789abcdef01234567 not found"
    )
    for text in (f"x {agent} y", f"a {jwt}", "see st_" + "A" * 30 + "." + "B" * 43):
        assert "[REDACTED]" in public(text)
    assert agent not in scrub(agent) and generate("sk_") not in scrub(generate("sk_"))


def test_a_refusal_naming_a_token_shaped_key_redacts_it() -> None:
    token = generate("ag_live_")
    body = refusal_body(Refused(422, f"vars.{token}", "key must not contain control characters"))
    assert token not in str(body)


# ---- tenant probing ----


def test_a_made_up_slug_and_a_real_one_get_the_same_refusal(fake) -> None:  # type: ignore[no-untyped-def]
    user = fake.identity_store.get_user("viewer@demo")
    p = Principal(CredentialKind.JWT, "viewer@demo", user)
    reasons = []
    for slug in ("acme", "no-such-tenant", "NOPE"):
        with pytest.raises(Forbidden) as err:
            fake.authenticator.act_in(p, slug)
        reasons.append(err.value.message)
    assert reasons == [f"not a member of tenant {s}" for s in ("acme", "no-such-tenant", "NOPE")]
    with pytest.raises(Forbidden) as err:
        fake.authenticator.act_in(p, generate("ag_live_"))
    assert err.value.message == "not a member of tenant [REDACTED]"
