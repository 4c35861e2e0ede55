"""One handler per operation serves both surfaces, each in its own spelling (no sockets).

The routes take their services and the caller as dependencies, so the app runs here on fakes:
`get_container` and `get_caller` are overridden, nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sculptops.bootstrap import Container
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.http.app import create_app
from sculptops.http.caller import get_caller
from sculptops.http.deps import get_container
from sculptops.http.openapi import all_routers
from sculptops.local import seed
from tests.conftest import session

PING_ID = "pb_000000000000000000000001"
LOCAL_ID = "inv_000000000000000000000001"


@dataclass
class Api:
    client: TestClient
    container: Container
    caller: list[Caller] = field(default_factory=list)

    def act_as(self, caller: Caller) -> None:
        self.caller[:] = [caller]


@pytest.fixture
def api(fake: Container) -> Iterator[Api]:
    seed.seed_catalog(fake.catalog_store)
    app = create_app(all_routers())
    api = Api(TestClient(app), fake)
    app.dependency_overrides[get_container] = lambda: fake
    app.dependency_overrides[get_caller] = lambda: api.caller[0]
    api.act_as(session(fake, "admin@demo", "demo"))
    with api.client:
        yield api


def _run(api: Api, playbook_id: str = PING_ID) -> str:
    body = {"playbook_id": playbook_id, "inventory_id": LOCAL_ID}
    r = api.client.post("/api/v1/demo/executions", json=body)
    assert r.status_code == 201, r.text
    run_id: str = r.json()["id"]
    return run_id


def test_a_run_reads_in_snake_case_on_v1_and_camel_case_on_the_compat_surface(api: Api) -> None:
    # Given a run triggered on the compatibility surface, in its spelling
    r = api.client.post("/api/executions", json={"playbookId": PING_ID, "inventoryId": LOCAL_ID})
    assert r.status_code == 201, r.text
    compat = r.json()
    # When the same run is read on the canonical surface
    canonical = api.client.get(f"/api/v1/demo/executions/{compat['id']}").json()
    # Then each spells its fields its own way
    assert compat["playbookId"] == canonical["playbook_id"] == PING_ID
    assert "playbook_id" not in compat and "playbookId" not in canonical


def test_the_playbook_filter_is_named_per_surface(api: Api) -> None:
    # Given runs of two playbooks
    other = api.client.post(
        "/api/v1/demo/playbooks", json={"name": "other", "content": "- hosts: all\n"}
    ).json()["id"]
    _run(api)
    mine = _run(api, other)

    def ids(path: str, **params: str) -> list[str]:
        r = api.client.get(path, params=params)
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()["executions"]]

    # Then /api/v1 filters on ?playbook_id= and /api on ?playbookId=, as the document says
    assert ids("/api/v1/demo/executions", playbook_id=other) == [mine]
    assert ids("/api/executions", playbookId=other) == [mine]
    # And a spelling that is not the surface's filters nothing, as before
    assert len(ids("/api/executions", playbook_id=other)) == 2


def _logged_run(api: Api) -> str:
    """A run with two lines in its log, written through the agent protocol."""
    run = _run(api)
    agent = api.client.post("/api/v1/demo/agents", json={"name": "a1"}).json()["id"]
    api.act_as(Caller(CredentialKind.AGENT, agent, "demo", None))
    assert api.client.post("/api/v1/demo/agents/claim").status_code == 200
    lines = [{"line": "TASK [ping]", "level": "info"}, {"line": "ok: [localhost]", "level": "ok"}]
    r = api.client.post(
        f"/api/v1/demo/executions/{run}/logs", json={"first_seq": 1, "lines": lines}
    )
    assert r.status_code == 200, r.text
    api.act_as(session(api.container, "viewer@demo", "demo"))
    return run


def test_a_log_line_carries_iso_time_on_v1_and_epoch_seconds_on_the_compat_surface(
    api: Api,
) -> None:
    run = _logged_run(api)
    canonical = api.client.get(f"/api/v1/demo/executions/{run}/logs").json()
    compat = api.client.get(f"/api/executions/{run}/logs").json()
    iso = canonical["lines"][0]["ts"]
    assert isinstance(iso, str) and iso.endswith("Z")
    assert compat["lines"][0]["ts"] == int(datetime.fromisoformat(iso).timestamp())
    assert "pollAfterMs" in compat and "poll_after_ms" in canonical


def _events(body: str) -> list[dict[str, str]]:
    events = []
    for block in body.split("\n\n")[:-1]:
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append(fields)
    return events


def test_the_stream_frames_one_event_per_line_with_the_retry_hint_first(api: Api) -> None:
    run = _logged_run(api)
    r = api.client.get(f"/api/executions/{run}/logs/stream")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.text.endswith("\n\n")
    events = _events(r.text)
    assert int(events[0]["retry"]) >= 250  # on the first event, as EventSource reads it
    assert [e["id"] for e in events] == ["1", "2"]
    assert [set(e) for e in events] == [{"retry", "id", "data"}, {"id", "data"}]
    assert isinstance(json.loads(events[0]["data"])["ts"], int)
    # And a client that has every line of a run still going gets only the hint
    r = api.client.get(f"/api/executions/{run}/logs/stream", headers={"Last-Event-ID": "2"})
    assert r.status_code == 200 and [set(e) for e in _events(r.text)] == [{"retry"}]


def test_the_stream_url_names_the_surface_it_was_asked_on(api: Api) -> None:
    run = _logged_run(api)
    urls: dict[str, Any] = {}
    for prefix in ("/api/v1/demo", "/api/v1/active", "/api"):
        r = api.client.post(f"{prefix}/executions/{run}/logs/stream-url")
        assert r.status_code == 201, r.text
        urls[prefix] = r.json()["url"].split("?")[0]
    assert (
        urls["/api/v1/demo"]
        == urls["/api/v1/active"]
        == (f"/api/v1/demo/executions/{run}/logs/stream")
    )
    assert urls["/api"] == f"/api/executions/{run}/logs/stream"


def test_a_refused_field_is_named_as_the_surface_spells_it(api: Api) -> None:
    # Given a token asked for with more days than demo's policy allows, on each surface
    api.act_as(session(api.container, "member@demo", "demo"))
    api.container.token_policy.set_policy(
        session(api.container, "admin@demo", "demo"), False, 7, None
    )
    compat = api.client.post("/api/tokens", json={"name": "x", "expiresInDays": 30})
    canonical = api.client.post("/api/v1/demo/tokens/", json={"name": "x", "expires_in_days": 30})
    # Then each refusal names the field as that surface spells it
    assert (compat.status_code, canonical.status_code) == (422, 422), (compat.text, canonical.text)
    assert compat.json()["errors"][0]["field"] == "expiresInDays"
    assert canonical.json()["errors"][0]["field"] == "expires_in_days"
    assert compat.json()["message"].startswith("Invalid request: expiresInDays: ")


def test_a_refused_key_inside_a_field_is_named_as_sent(api: Api) -> None:
    # Given a run asked for with a reserved variable in extra_vars, on the compat surface
    body = {"playbookId": PING_ID, "inventoryId": LOCAL_ID, "extraVars": {"ansible_become": 1}}
    r = api.client.post("/api/executions", json=body)
    # Then the field is camelCase and the caller's own key is as sent
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "extraVars.ansible_become"
