"""What the second attack round found, replayed over HTTP against the local stack.

- playbook YAML whose explicit tags PyYAML cannot construct (`!!bool maybe`, `!!int _`) was a 500;
- a token glued to a reserved name (`ansible_ag_live_...`) came back unredacted in the 422;
- a token passed as a run variable was stored and shown to every viewer of the tenant;
- a tenant path segment that is not a slug is a 403, like a tenant one is not a member of.
"""

from __future__ import annotations

import json

import pytest

from tests.stack import LOCAL_ID, PING_ID, Stack

BAD_TAGS = ["!!bool maybe", '!!bool ""', "!!int _", '!!int "-"', "!!int +", '!!float "_"']


@pytest.fixture(scope="module")
def spare_token(stack: Stack) -> str:
    """A real personal token of admin@demo (its value is what must never be echoed)."""
    with stack.client(stack.token) as c:
        r = c.post("/api/v1/demo/tokens/", json={"name": "round-two", "expires_in_days": 1})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


@pytest.mark.parametrize("path", ["/api/v1/demo/playbooks", "/api/playbooks"])
@pytest.mark.parametrize("value", BAD_TAGS)
def test_a_yaml_tag_the_parser_cannot_build_is_422_naming_content(
    stack: Stack, path: str, value: str
) -> None:
    content = f"- hosts: all\n  vars: {{a: {value}}}\n  tasks: []\n"
    with stack.client(stack.token) as c:
        r = c.post(path, json={"name": "tagged", "content": content})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "content"


def test_a_token_glued_to_a_reserved_name_is_not_echoed(stack: Stack, spare_token: str) -> None:
    body = {
        "playbook_id": PING_ID,
        "inventory_id": LOCAL_ID,
        "extra_vars": {f"ansible_{spare_token}": 1},
    }
    with stack.client(stack.token) as c:
        r = c.post("/api/v1/demo/executions", json=body)
    assert r.status_code == 422, r.text
    assert spare_token not in r.text
    assert spare_token[8:] not in r.text  # not even the part after the prefix


@pytest.mark.parametrize(
    "extra_vars",
    [
        lambda t: {"who": t},
        lambda t: {"deep": {"list": ["x", f"token: {t}"]}},
        lambda t: {"who": f"Bearer {t}"},
    ],
    ids=["value", "nested", "in-text"],
)
def test_a_token_as_a_run_variable_is_refused_not_stored(
    stack: Stack, spare_token: str, extra_vars: object
) -> None:
    assert callable(extra_vars)
    body = {"playbook_id": PING_ID, "inventory_id": LOCAL_ID, "extra_vars": extra_vars(spare_token)}
    with stack.client(stack.token) as c:
        r = c.post("/api/v1/demo/executions", json=body)
        listed = c.get("/api/v1/demo/executions", params={"limit": 50})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"].startswith("extra_vars.")
    assert spare_token not in r.text
    assert listed.status_code == 200
    assert spare_token not in json.dumps(listed.json())


def test_a_value_shaped_like_a_token_without_its_checksum_is_ordinary_data(stack: Stack) -> None:
    body = {
        "playbook_id": PING_ID,
        "inventory_id": LOCAL_ID,
        "extra_vars": {"who": "ag_live_" + "a" * 36},
    }
    with stack.client(stack.token) as c:
        r = c.post("/api/v1/demo/executions", json=body)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("segment", ["%ED%A0%80", "%FF", "DEMO", "-x", "a" * 41, "nosuchtenant"])
def test_a_tenant_segment_that_is_not_ones_tenant_is_the_same_403(
    stack: Stack, segment: str
) -> None:
    with stack.client(stack.token) as c:
        r = c.get(f"/api/v1/{segment}/executions")
    assert r.status_code == 403, r.text
    assert r.json()["message"] == "Forbidden"
