"""DELETE /executions/{id} (DESIGN §3): a finished run and its log, 204; queued or running, 409.

Through the local gateway in-process (real authorizer and handlers, moto tables), both surfaces.
"""

from __future__ import annotations

import pytest

from sculptops.adapters.dynamodb.models import build_models
from sculptops.bootstrap import container
from sculptops.local import seed
from sculptops.services.agents import RawLine
from tests.integration.test_unreadable_items import agent_bearer, bearer, gw

__all__ = ["gw"]  # the fixture, shared


def _run(client, prefix: str, token: dict[str, str]) -> str:
    r = client.post(
        f"{prefix}/executions",
        json={"playbook_id": seed.PING_ID, "inventory_id": seed.LOCAL_ID},
        headers=token,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _items(execution_id: str) -> int:
    """How many items (head and log chunks) the run's partition holds."""
    model = build_models(container().settings).Execution
    return sum(1 for _ in model.query(f"demo#{execution_id}", consistent_read=True))


@pytest.mark.parametrize("prefix", ["/api/v1/demo", "/api"])
def test_delete_a_finished_run_with_its_log_and_not_a_live_one(gw, prefix: str) -> None:
    client, _ = gw
    admin = bearer("admin@demo")
    member = bearer("member@demo")
    agent = agent_bearer()
    # Given a queued run: 409, cancel it first
    queued = _run(client, prefix, member)
    r = client.delete(f"{prefix}/executions/{queued}", headers=admin)
    assert r.status_code == 409 and "cancel it first" in r.json()["message"]
    # Given a running run with a long log (several chunks): 409 too
    claimed = client.post(f"{prefix}/agents/claim", headers=agent).json()
    running = claimed["execution"]["id"]
    assert running == queued
    c = container()
    principal = c.authenticator.authenticate(agent["Authorization"].split()[1])
    agent_caller = c.authenticator.act_in(principal, "active")
    for batch in range(4):  # about 13 chunks of 64 KiB each
        lines = [RawLine("x" * 8000) for _ in range(100)]
        c.agents.append_logs(agent_caller, running, 1 + batch * 100, lines)
    assert client.delete(f"{prefix}/executions/{running}", headers=admin).status_code == 409
    assert _items(running) > 25  # more chunks than one batch write holds
    finish = {"exitCode" if prefix == "/api" else "exit_code": 0}
    r = client.post(f"{prefix}/executions/{running}/finish", json=finish, headers=agent)
    assert r.status_code == 200, r.text
    # Not an admin: 403; another tenant's admin: 404
    assert client.delete(f"{prefix}/executions/{running}", headers=member).status_code == 403
    acme = bearer("admin@acme")
    assert client.delete(f"/api/v1/acme/executions/{running}", headers=acme).status_code == 404
    # When an admin deletes the finished run
    r = client.delete(f"{prefix}/executions/{running}", headers=admin)
    # Then 204, it and every log chunk are gone, and a second delete is 404
    assert r.status_code == 204 and r.content == b""
    assert _items(running) == 0
    assert client.get(f"{prefix}/executions/{running}", headers=admin).status_code == 404
    assert client.delete(f"{prefix}/executions/{running}", headers=admin).status_code == 404
    listed = client.get(f"{prefix}/executions", headers=admin).json()["executions"]
    assert running not in {e["id"] for e in listed}
    # A cancelled run is finished too
    other = _run(client, prefix, member)
    assert client.post(f"{prefix}/executions/{other}/cancel", headers=member).status_code == 200
    assert client.delete(f"{prefix}/executions/{other}", headers=admin).status_code == 204
    assert client.delete(f"{prefix}/executions/nope", headers=admin).status_code == 404
