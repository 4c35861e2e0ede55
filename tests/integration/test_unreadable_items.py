"""One bad stored item never breaks a read (DESIGN §4 "Every string is text").

Items are written straight into the moto tables with boto3, as an older version, a bug or a
hand edit could have left them; then every read that meets them is driven through the local
gateway in-process (real authorizer, real handlers): each still answers, and the run can be
deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from starlette.testclient import TestClient

from sculptops.bootstrap import container
from sculptops.domain.identity import CredentialKind, Principal
from sculptops.local import seed
from sculptops.services.tokens import NewToken
from tests.integration.conftest import moto_gateway

T = "2026-01-01T00:00:00.000000+0000"
GOOD = "exe_000000000001000000000001"
SURROGATE = "exe_000000000002000000000002"
BAD_TIME = "exe_000000000003000000000003"
MISSING = "exe_000000000004000000000004"
UNKNOWN_STATUS = "exe_000000000005000000000005"
WRONG_TYPE = "exe_000000000006000000000006"
DEEP = "exe_000000000007000000000007"


def head(execution_id: str, **attrs: Any) -> dict[str, Any]:
    item = {
        "pk": f"demo#{execution_id}",
        "sk": "Z",
        "tenant": "demo",
        "id": execution_id,
        "status": "success",
        "playbook_id": seed.PING_ID,
        "inventory_id": seed.LOCAL_ID,
        "created_at": T,
        "finished_at": T,
        "triggered_by": "admin@demo",
        "credential_kind": "jwt",
        "extra_vars": "{}",
        "log_next_seq": 1,
    }
    item.update(attrs)
    return {k: _typed(v) for k, v in item.items() if v is not None}


def _typed(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, dict):
        return value  # already typed
    return {"S": value}


@pytest.fixture
def gw() -> Iterator[tuple[TestClient, Any]]:
    with moto_gateway("unreadable") as client:
        yield client, boto3.client("dynamodb", region_name=container().settings.region)


def bearer(user: str) -> dict[str, str]:
    c = container()
    u = c.identity_store.get_user(user)
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user, u), None)
    return {"Authorization": f"Bearer {c.tokens.create(caller, NewToken(name='t')).value}"}


def agent_bearer() -> dict[str, str]:
    c = container()
    u = c.identity_store.get_user("admin@demo")
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, "admin@demo", u), "demo")
    return {"Authorization": f"Bearer {c.agents.register(caller, 'a').token}"}


def put(ddb: Any, item: dict[str, Any]) -> None:
    ddb.put_item(TableName=container().settings.executions_table, Item=item)


def seed_bad_runs(ddb: Any) -> None:
    put(ddb, head(GOOD))
    # A lone surrogate inside stored JSON, as json.dumps writes it (DynamoDB itself, and moto,
    # refuse one in a plain string attribute), and a NaN.
    put(ddb, head(SURROGATE, extra_vars='{"a": "\\ud800", "n": NaN}'))
    put(ddb, head(BAD_TIME, created_at="not a time"))
    put(ddb, head(MISSING, playbook_id=None))
    put(ddb, head(UNKNOWN_STATUS, status="exploded"))
    put(ddb, head(WRONG_TYPE, exit_code={"S": "zero"}))
    put(ddb, head(DEEP, extra_vars="[" * 100_000))
    # Log chunks of the surrogate run: a good line, a line with a surrogate, broken rows.
    rows = (
        '[[1, "2026-01-01T00:00:00+00:00", "ok", "fine"],'
        ' [2, "2026-01-01T00:00:00+00:00", "ok", "bad \\udc00"],'
        ' [3, "0001-01-01T00:00:00+99:00", "ok", "broken ts"],'
        ' [4, "2026-01-01T00:00:00+00:00", "nonsense", "unknown level"],'
        ' "not a row",'
        ' [5, "0001-01-01T00:00:00+14:00", "ok", "year one, east of UTC"]]'
    )
    put(ddb, {"pk": {"S": f"demo#{SURROGATE}"}, "sk": {"S": "L#000000000004"}, "body": {"S": rows}})
    put(ddb, {"pk": {"S": f"demo#{BAD_TIME}"}, "sk": {"S": "L#000000000001"}, "body": {"S": "{"}})


@pytest.mark.parametrize("prefix", ["/api/v1/demo", "/api"])
def test_lists_and_reads_answer_whatever_is_stored(gw, prefix: str) -> None:
    client, ddb = gw
    seed_bad_runs(ddb)
    viewer = bearer("viewer@demo")
    r = client.get(f"{prefix}/executions", headers=viewer)
    assert r.status_code == 200, r.text
    by_id = {e["id"]: e for e in r.json()["executions"]}
    assert set(by_id) == {GOOD, SURROGATE, BAD_TIME, MISSING, UNKNOWN_STATUS, WRONG_TYPE, DEEP}
    assert by_id[GOOD]["status"] == "success"
    vars_key = "extraVars" if prefix == "/api" else "extra_vars"
    assert by_id[SURROGATE][vars_key] == {"a": "\ufffd", "n": None}
    for broken in (BAD_TIME, MISSING, UNKNOWN_STATUS, WRONG_TYPE, DEEP):
        assert by_id[broken]["status"] == "unreadable", broken
    # Paginated one by one, every page answers and the cursor walks past the bad items.
    seen, cursor = [], None
    for _ in range(10):
        query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{prefix}/executions", params=query, headers=viewer)
        assert page.status_code == 200, page.text
        seen += [e["id"] for e in page.json()["executions"]]
        cursor = page.json()["nextCursor" if prefix == "/api" else "next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(by_id)
    for execution_id in by_id:
        one = client.get(f"{prefix}/executions/{execution_id}", headers=viewer)
        assert one.status_code == 200, (execution_id, one.text)
        logs = client.get(f"{prefix}/executions/{execution_id}/logs", headers=viewer)
        assert logs.status_code == 200, (execution_id, logs.text)
        stream = client.get(f"{prefix}/executions/{execution_id}/logs/stream", headers=viewer)
        assert stream.status_code in (200, 204), (execution_id, stream.text)
    lines = client.get(f"{prefix}/executions/{SURROGATE}/logs", headers=viewer).json()["lines"]
    assert [ln["line"] for ln in lines] == [
        "fine",
        "bad \ufffd",
        "SculptOps: this stored log line cannot be read",
        "SculptOps: this stored log line cannot be read",
        "year one, east of UTC",
    ]


def test_an_unreadable_run_can_be_deleted_and_a_broken_queued_one_never_blocks_claims(
    gw,
) -> None:
    client, ddb = gw
    seed_bad_runs(ddb)
    admin = bearer("admin@demo")
    for execution_id in (BAD_TIME, UNKNOWN_STATUS, SURROGATE):
        r = client.delete(f"/api/v1/demo/executions/{execution_id}", headers=admin)
        assert r.status_code == 204, r.text
        assert client.get(f"/api/executions/{execution_id}", headers=admin).status_code == 404
    listed = client.get("/api/v1/demo/executions", headers=admin).json()["executions"]
    assert {e["id"] for e in listed} == {GOOD, MISSING, WRONG_TYPE, DEEP}
    # Queued: one with a lone surrogate in its vars, one missing its inventory; the agent's
    # claim answers for both, the readable one with its text repaired.
    queued = "exe_000000000008000000000008"
    broken = "exe_000000000009000000000009"
    table_extra = {"status": "queued", "finished_at": None, "queue": "demo"}
    put(ddb, head(broken, inventory_id=None, **table_extra))
    put(ddb, head(queued, extra_vars='{"who": "\\udfff"}', **table_extra))
    agent = agent_bearer()
    claimed = client.post("/api/v1/demo/agents/claim", headers=agent)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["execution"]["id"] == queued
    assert claimed.json()["execution"]["extra_vars"] == {"who": "\ufffd"}
    assert client.post("/api/agents/claim", headers=agent).status_code == 204
    assert client.get(f"/api/v1/demo/executions/{broken}", headers=admin).status_code == 200
    assert client.get("/api/executions", headers=admin).status_code == 200


def test_catalog_lists_answer_whatever_is_stored(gw) -> None:
    client, ddb = gw
    table = container().settings.catalog_table
    bad_pb = "pb_000000000000000000000009"
    odd_pb = "pb_000000000000000000000008"
    bad_inv = "inv_000000000000000000000009"
    common = {"tenant": {"S": "demo"}, "created_at": {"S": T}, "updated_at": {"S": T}}
    ddb.put_item(
        TableName=table,
        Item={**common, "sk": {"S": f"PB#{bad_pb}"}, "id": {"S": bad_pb}, "name": {"N": "1"}},
    )
    ddb.put_item(
        TableName=table,
        Item={
            **common,
            "sk": {"S": f"PB#{odd_pb}"},
            "id": {"S": odd_pb},
            "name": {"S": "odd"},
            "content": {"S": "- hosts: all\n"},
        },
    )
    ddb.put_item(
        TableName=table,
        Item={
            **common,
            "sk": {"S": f"INV#{bad_inv}"},
            "id": {"S": bad_inv},
            "name": {"S": "inv"},
            "hosts": {"S": '[{"nope": 1}]'},
            "vars": {"S": '{"x": "\\ud800"}'},
            "updated_at": {"S": "yesterday"},
        },
    )
    viewer = bearer("viewer@demo")
    for prefix in ("/api/v1/demo", "/api"):
        pbs = client.get(f"{prefix}/playbooks", headers=viewer)
        assert pbs.status_code == 200, pbs.text
        names = {p["id"]: p["name"] for p in pbs.json()["playbooks"]}
        assert names[bad_pb] == "[unreadable]" and names[odd_pb] == "odd"
        invs = client.get(f"{prefix}/inventories", headers=viewer)
        assert invs.status_code == 200, invs.text
        assert bad_inv in {i["id"] for i in invs.json()["inventories"]}
        for path in (f"playbooks/{bad_pb}", f"playbooks/{odd_pb}", f"inventories/{bad_inv}"):
            assert client.get(f"{prefix}/{path}", headers=viewer).status_code == 200, path
    # Readable but for a lone surrogate in its vars: shown repaired.
    ddb.put_item(
        TableName=table,
        Item={
            **common,
            "sk": {"S": f"INV#{seed.LOCAL_ID}"},
            "id": {"S": seed.LOCAL_ID},
            "name": {"S": "local"},
            "hosts": {"S": '[{"name": "localhost", "vars": {"y": "\\udc00"}}]'},
            "vars": {"S": '{"x": "\\ud800"}'},
        },
    )
    inv = client.get(f"/api/v1/demo/inventories/{seed.LOCAL_ID}", headers=viewer)
    assert inv.status_code == 200, inv.text
    assert inv.json()["vars"] == {"x": "\ufffd"}
    assert inv.json()["hosts"][0]["vars"] == {"y": "\ufffd"}
