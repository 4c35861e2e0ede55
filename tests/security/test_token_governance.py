"""A token never out-ranks its maker, over HTTP: a viewer-ceiling token cannot revoke or delete
its owner's admin tokens, minted tokens die with their parent, and an Idempotency-Key replay
goes only to a caller that may make the request (DESIGN §3)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.stack import Stack

API = "/api/v1/demo"
RUN = {"playbook_id": "pb_000000000000000000000001", "inventory_id": "inv_000000000000000000000001"}


def _jwt(stack: Stack, username: str = "admin@demo") -> str:
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": username})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _mint(stack: Stack, credential: str, name: str, ceiling: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"{name}-{secrets.token_hex(3)}"}
    if not credential.startswith("ag_live_"):
        body["expires_in_days"] = 1  # a token's children are capped at its own expiry
    if ceiling:
        body["ceiling"] = ceiling
    with stack.client(credential) as c:
        r = c.post(f"{API}/tokens/", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _status(stack: Stack, credential: str) -> int:
    with stack.client(credential) as c:
        return c.get(f"{API}/tokens/").status_code


@pytest.fixture
def admin_and_viewer(stack: Stack) -> tuple[str, dict[str, Any], dict[str, Any]]:
    jwt = _jwt(stack)
    return jwt, _mint(stack, jwt, "A", "admin"), _mint(stack, jwt, "V", "viewer")


def test_a_viewer_ceiling_token_cannot_delete_or_list_an_admin_token(stack, admin_and_viewer):
    _, a, v = admin_and_viewer
    with stack.client(v["token"]) as c:
        # When V deletes A by id
        r = c.delete(f"{API}/tokens/{a['id']}")
        # Then it is refused with the reason, and A still works
        assert r.status_code == 403, r.text
        assert r.json() == {
            "message": "Forbidden",
            "reason": "this token cannot manage a token with a higher ceiling",
        }
        listed = c.get(f"{API}/tokens/", params={"limit": 1000}).json()["tokens"]
    assert a["id"] not in {t["id"] for t in listed}
    assert {t["ceiling"] for t in listed} == {"viewer"}
    assert _status(stack, a["token"]) == 200


def test_revoke_all_from_a_viewer_ceiling_token_leaves_admin_tokens_alone(stack, admin_and_viewer):
    _, a, v = admin_and_viewer
    # When V revokes "all"
    with stack.client(v["token"]) as c:
        assert c.delete(f"{API}/tokens/").status_code == 204
    # Then V is gone, A and the stack's admin token still work
    assert _status(stack, v["token"]) == 401
    assert _status(stack, a["token"]) == 200
    assert _status(stack, stack.token) == 200


def test_a_minted_token_and_its_children_die_with_their_parent(stack: Stack) -> None:
    # Given T (made by a session) minted C, which minted G
    jwt = _jwt(stack)
    t = _mint(stack, jwt, "T")
    c = _mint(stack, t["token"], "C")
    g = _mint(stack, c["token"], "G")
    assert _status(stack, g["token"]) == 200
    # When T is deleted
    with stack.client(jwt) as client:
        assert client.delete(f"{API}/tokens/{t['id']}").status_code == 204
    # Then its child and grandchild fail on their very next request
    with stack.client(c["token"]) as client:
        r = client.post(f"{API}/executions", json=RUN)
        assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}
    assert _status(stack, g["token"]) == 401


def test_an_idempotency_replay_is_authorized_like_a_first_request(stack, admin_and_viewer):
    jwt, _, v = admin_and_viewer
    key = f"replay-{secrets.token_hex(8)}"
    # Given the admin's session triggered a run with key K
    with stack.client(jwt) as c:
        first = c.post(f"{API}/executions", json=RUN, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    run_id = first.json()["id"]
    # When the same user's viewer-ceiling token sends the same body with K
    with stack.client(v["token"]) as c:
        replay = c.post(f"{API}/executions", json=RUN, headers={"Idempotency-Key": key})
    # Then it is refused, and learns nothing of the first answer
    assert replay.status_code == 403, replay.text
    assert run_id not in replay.text and "idempotent-replayed" not in replay.headers
    # while a caller that may trigger still gets the replay.
    with stack.client(jwt) as c:
        again = c.post(f"{API}/executions", json=RUN, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["id"] == run_id
    assert again.headers["idempotent-replayed"] == "true"
