"""Input-handling findings of a black-box attacker, replayed over HTTP against the local stack.

Each case was a 500, an accepted bad value, or a credential echoed back in an error body. Each
is now a 4xx JSON body naming the field (or a body without the echo).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sculptops.domain.token_format import generate
from tests.stack import Stack

CANON = "/api/v1/demo"
COMPAT = "/api"
PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"
NO_RUN = "exe_ffffffffffffffffffffffff"
BIGINT_PLAYBOOK = "- hosts: all\n  vars: {a: 1" + "0" * 4300 + "}\n  tasks: []\n"


def refused_naming(r: httpx.Response, field: str, where: str | None = None) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body: dict[str, Any] = r.json()
    assert body["errors"][0]["field"] == field, body
    assert body["message"].startswith(f"Invalid request: {field}: "), body
    if where is not None:
        assert body["errors"][0]["in"] == where, body
    return body


def jwt_of(stack: Stack, username: str) -> str:
    r = httpx.post(f"{stack.url}/dev/oidc/token", json={"username": username}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture(scope="module")
def agent(stack: Stack) -> Iterator[str]:
    """An agent token of demo (its own agent, removed afterwards)."""
    with stack.client(stack.token) as c:
        r = c.post(f"{CANON}/agents", json={"name": "attack-replay"})
        assert r.status_code == 201, r.text
        yield str(r.json()["token"])
        c.delete(f"{CANON}/agents/{r.json()['id']}")


# ---- 1. a token expiry that overflows when converted to UTC: was 500 ----


@pytest.mark.parametrize(
    "expiry",
    [
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59.999999-23:59",
        "0001-01-01T00:30:00+14:00",
    ],
)
@pytest.mark.parametrize(
    ("path", "key"),
    [(f"{CANON}/tokens/", "expiry_date"), (f"{COMPAT}/tokens", "expiryDate")],
)
def test_an_expiry_out_of_utc_range_is_422_naming_it(
    stack: Stack, path: str, key: str, expiry: str
) -> None:
    with stack.client(stack.token) as c:
        r = c.post(path, json={"name": "overflow", key: expiry})
    # Schema errors name the key as sent; year 1 at midnight also reads as the date 0001-01-01,
    # which the token service refuses as past, naming the canonical field.
    assert r.status_code == 422, r.text
    refused_naming(r, r.json()["errors"][0]["field"])
    assert r.json()["errors"][0]["field"] in (key, "expiry_date")


def test_an_agent_line_time_out_of_utc_range_is_422_naming_it(stack: Stack, agent: str) -> None:
    body = {"first_seq": 1, "lines": [{"line": "x", "ts": "0001-01-01T00:00:00+14:00"}]}
    with stack.client(agent) as c:
        r = c.post(f"{CANON}/executions/{NO_RUN}/logs", json=body)
    refused_naming(r, "lines.0.ts")


# ---- 2. a YAML integer over Python's 4300-digit conversion limit: was 500 ----


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"{CANON}/playbooks"),
        ("POST", f"{COMPAT}/playbooks"),
        ("PUT", f"{CANON}/playbooks/{PING_ID}"),
        ("PUT", f"{COMPAT}/playbooks/{PING_ID}"),
    ],
)
def test_a_playbook_with_a_huge_integer_is_422_naming_content(
    stack: Stack, method: str, path: str
) -> None:
    with stack.client(stack.token) as c:
        r = c.request(method, path, json={"name": "bigint", "content": BIGINT_PLAYBOOK})
        refused_naming(r, "content")
        # The seeded playbook is unchanged
        assert "1" + "0" * 4300 not in c.get(f"{CANON}/playbooks/{PING_ID}").text


# ---- 3. control and bidi characters in names: were accepted ----

BAD_NAME_CHARS = {
    "ESC": "\x1b",
    "CR": "\r",
    "LF": "\n",
    "TAB": "\t",
    "DEL": "\x7f",
    "C1 CSI": "\x9b",
    "RLO": "\u202e",
    "LRE": "\u202a",
    "RLI": "\u2067",
    "PDI": "\u2069",
    "LSEP": "\u2028",
    "PSEP": "\u2029",
}


def _name_cases(bad: str) -> list[tuple[str, str, dict[str, Any], str]]:
    hosts = [{"name": "h1"}]
    return [
        ("POST", f"{CANON}/tokens/", {"name": f"a{bad}b"}, "name"),
        ("POST", f"{COMPAT}/tokens", {"name": f"a{bad}b"}, "name"),
        ("POST", f"{CANON}/playbooks", {"name": f"p{bad}", "content": "- hosts: all"}, "name"),
        ("PUT", f"{CANON}/playbooks/{PING_ID}", {"name": f"{bad}p", "content": "- hosts: all"}, "name"),
        ("POST", f"{CANON}/inventories", {"name": f"i{bad}", "hosts": hosts}, "name"),
        ("PUT", f"{CANON}/inventories/{LOCAL_ID}", {"name": f"i{bad}", "hosts": hosts}, "name"),
        ("POST", f"{CANON}/inventories", {"name": "i", "hosts": [{"name": f"h{bad}"}]}, "hosts.0.name"),
        ("POST", f"{CANON}/agents", {"name": f"agent{bad}"}, "name"),
        ("POST", f"{COMPAT}/agents", {"name": f"agent{bad}"}, "name"),
    ]  # fmt: skip


@pytest.mark.parametrize("char", BAD_NAME_CHARS, ids=list(BAD_NAME_CHARS))
def test_a_name_with_a_control_or_bidi_character_is_422_naming_it(stack: Stack, char: str) -> None:
    with stack.client(stack.token) as c:
        for method, path, body, field in _name_cases(BAD_NAME_CHARS[char]):
            r = c.request(method, path, json=body)
            refused_naming(r, field)
        names = {
            t["name"] for t in c.get(f"{CANON}/tokens/", params={"limit": 1000}).json()["tokens"]
        }
        assert not any(BAD_NAME_CHARS[char] in n for n in names)  # fmt: skip


def test_free_text_keeps_tabs_and_newlines_and_names_keep_unicode(stack: Stack) -> None:
    content = "- hosts: all\n  # a\tcomment\r\n  tasks: []\n"
    with stack.client(stack.token) as c:
        r = c.post(f"{CANON}/playbooks", json={"name": "Überprüfung – ok", "content": content})
        assert r.status_code == 201, r.text
        try:
            got = c.get(f"{CANON}/playbooks/{r.json()['id']}").json()
            assert got["content"] == content
            assert got["name"] == "Überprüfung – ok"
        finally:
            c.delete(f"{CANON}/playbooks/{r.json()['id']}")


# ---- 4. duplicate JSON keys hid a bad value: was 201 ----


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        (f"{CANON}/tokens/", '{"name":"\\ud800","name":"ok","expires_in_days":1}', "name"),
        (f"{CANON}/tokens/", '{"name":"ok","expires_in_days":1,"expires_in_days":1}', "expires_in_days"),
        (f"{COMPAT}/tokens", '{"name":"a\\u001bb","name":"ok"}', "name"),
        (
            f"{CANON}/inventories",
            '{"name":"i","hosts":[{"name":"h1"},{"name":"x;rm","name":"h2"}]}',
            "hosts.1.name",
        ),
        (
            f"{CANON}/executions",
            '{"playbook_id":"%s","inventory_id":"%s","extra_vars":{"a":{"b":1,"b":2}}}'
            % (PING_ID, LOCAL_ID),
            "extra_vars.a.b",
        ),
    ],
    ids=["token name", "token days", "compat name", "nested host", "extra vars"],
)  # fmt: skip
def test_a_key_given_twice_is_422_naming_it(stack: Stack, path: str, raw: str, field: str) -> None:
    with stack.client(stack.token) as c:
        r = c.post(path, content=raw, headers={"Content-Type": "application/json"})
    refused_naming(r, field)


# ---- 5. loose types: `true` was 1 ----


@pytest.mark.parametrize("value", [True, False, "7", 7.0])
@pytest.mark.parametrize(
    ("path", "key"),
    [(f"{CANON}/tokens/", "expires_in_days"), (f"{COMPAT}/tokens", "expiresInDays")],
)
def test_expires_in_days_must_be_a_json_integer(
    stack: Stack, path: str, key: str, value: Any
) -> None:
    with stack.client(stack.token) as c:
        r = c.post(path, json={"name": "loose", key: value})
    refused_naming(r, key)


@pytest.mark.parametrize(
    ("suffix", "body", "field"),
    [
        ("logs", {"first_seq": True, "lines": [{"line": "x"}]}, "first_seq"),
        ("logs", {"first_seq": "1", "lines": [{"line": "x"}]}, "first_seq"),
        ("finish", {"exit_code": True}, "exit_code"),
        ("finish", {"exit_code": "0"}, "exit_code"),
        ("finish", {"exit_code": 0.0}, "exit_code"),
    ],
)
def test_agent_protocol_integers_are_strict(
    stack: Stack, agent: str, suffix: str, body: dict[str, Any], field: str
) -> None:
    with stack.client(agent) as c:
        r = c.post(f"{CANON}/executions/{NO_RUN}/{suffix}", json=body)
    refused_naming(r, field)


def test_integer_query_parameters_still_work(stack: Stack) -> None:
    with stack.client(stack.token) as c:
        for path in (f"{CANON}/executions", f"{COMPAT}/executions", f"{CANON}/tokens/"):
            r = c.get(path, params={"limit": "50"})
            assert r.status_code == 200, r.text
        r = c.post(f"{CANON}/tokens/", json={"name": "strict-ok", "expires_in_days": 7})
        assert r.status_code == 201, r.text
        c.delete(f"{CANON}/tokens/{r.json()['id']}")


# ---- 6. token values and JWTs echoed back in error bodies ----


def test_a_token_in_a_path_or_field_is_not_echoed(stack: Stack) -> None:
    live, agent_value = generate("ag_live_"), generate("ag_agent_")
    jwt = jwt_of(stack, "viewer@demo")
    with stack.client(stack.token) as c:
        answers = [
            (c.delete(f"{CANON}/tokens/{live}"), 404),
            (c.delete(f"{COMPAT}/tokens/{agent_value}"), 404),
            (c.get(f"{CANON}/executions/{jwt}"), 404),
            (c.get(f"{COMPAT}/executions/{jwt}"), 404),
            (c.delete(f"{CANON}/playbooks/{live}"), 404),
            (c.delete(f"{CANON}/agents/{agent_value}"), 404),
            (c.post(f"{CANON}/executions", json={"playbook_id": live, "inventory_id": LOCAL_ID}), 422),
            (c.post(f"{CANON}/executions", json={"playbook_id": PING_ID, "inventory_id": jwt[:64]}), 422),
            (c.post(f"{CANON}/tokens/", json={"name": "x", live: 1}), 422),
        ]  # fmt: skip
    for r, status in answers:
        assert r.status_code == status, r.text
        for secret in (live, agent_value, jwt, jwt[:64], jwt.split(".")[1]):
            assert secret not in r.text, r.text
    assert answers[0][0].json() == {"message": "token not found"}
    assert answers[2][0].json() == {"message": "execution not found"}
    assert answers[6][0].json()["errors"][0] == {
        "field": "playbook_id",
        "in": "body",
        "message": "no such playbook in demo",
    }


def test_an_id_shaped_id_is_still_named(stack: Stack) -> None:
    with stack.client(stack.token) as c:
        r = c.get(f"{CANON}/executions/{NO_RUN}")
    assert r.status_code == 404, r.text
    assert r.json() == {"message": f"execution {NO_RUN} not found"}


# ---- 7. invalid UTF-8 in the query string was replaced with U+FFFD: was 200 ----


@pytest.mark.parametrize("escape", ["%ED%A0%80", "%FF", "%C0%80", "ok%80"])
@pytest.mark.parametrize("prefix", [CANON, COMPAT])
def test_a_query_parameter_that_is_not_utf8_is_422_naming_it(
    stack: Stack, prefix: str, escape: str
) -> None:
    name = "playbookId" if prefix == COMPAT else "playbook_id"
    with stack.client(stack.token) as c:
        r = c.get(f"{prefix}/executions?limit=5&{name}={escape}")
    refused_naming(r, name, where="query")


def test_a_query_parameter_name_that_is_not_utf8_is_422(stack: Stack) -> None:
    with stack.client(stack.token) as c:
        r = c.get(f"{CANON}/executions?%FF=1")
    refused_naming(r, "query", where="query")


@pytest.mark.parametrize("literal", ["%", "%zz", "50%", "caf%C3%A9"])
def test_a_percent_that_is_not_an_escape_stays_literal_text(stack: Stack, literal: str) -> None:
    with stack.client(stack.token) as c:
        r = c.get(f"{CANON}/executions?playbook_id={literal}")
    assert r.status_code == 200, r.text


# ---- 8. tenant names could be probed by the 403's reason ----


def test_a_made_up_tenant_and_a_real_one_get_the_same_403(stack: Stack) -> None:
    jwt = jwt_of(stack, "viewer@demo")
    with stack.client(jwt) as c:
        for slug in ("acme", "no-such-tenant-here", "NOPE", "x_y"):
            r = c.get(f"/api/v1/{slug}/executions")
            assert r.status_code == 403, r.text
            assert r.json() == {"message": "Forbidden", "reason": f"not a member of tenant {slug}"}


# ---- 9. the functions' 403 body has the authorizer's shape ----


def test_a_functions_403_is_forbidden_with_a_reason(stack: Stack) -> None:
    jwt = jwt_of(stack, "viewer@demo")
    with stack.client(jwt) as c:
        for path in (f"{CANON}/playbooks", f"{COMPAT}/playbooks"):
            r = c.post(path, json={"name": "p", "content": "- hosts: all"})
            assert r.status_code == 403, r.text
            assert r.json() == {
                "message": "Forbidden",
                "reason": "requires the admin role in tenant demo",
            }
