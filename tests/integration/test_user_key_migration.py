"""`sculptops migrate user-keys`: a stage deployed before tokens carried their owner's key has
its user items under `USER#<user id>`; the migration moves them to `USER#<owner key>` without
losing a change made meanwhile, and a user's old and new tokens work afterwards."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from typer.testing import CliRunner

from sculptops.adapters.dynamodb import migrations
from sculptops.adapters.dynamodb.migrations import move_user_items
from sculptops.aws.authentication import authenticator_for
from sculptops.aws.authorizer import authorize
from sculptops.bootstrap import Container
from sculptops.cli.main import app
from sculptops.domain.identity import User
from sculptops.domain.token_format import owner_key
from sculptops.services.tokens import NewToken
from sculptops.settings import Settings
from tests.fakes import FakeJwtVerifier
from tests.integration.conftest import on_dynamodb_local_too


def _client(settings: Settings) -> Any:
    return botocore.session.get_session().create_client(
        "dynamodb", settings.region, endpoint_url=settings.dynamodb_endpoint
    )


def _as_before(client: Any, settings: Settings, user_id: str) -> dict[str, Any]:
    """Put a user's item back where the code before the owner key wrote it (no user_id)."""
    table = settings.identity_table
    new_key = {"pk": {"S": f"USER#{owner_key(user_id)}"}, "sk": {"S": "USER"}}
    item = client.get_item(TableName=table, Key=new_key, ConsistentRead=True)["Item"]
    old = {**item, "pk": {"S": f"USER#{user_id}"}}
    del old["user_id"]
    client.put_item(TableName=table, Item=old)
    client.delete_item(TableName=table, Key=new_key)
    return old


def _event(value: str) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:0:api/test/GET/x",
        "resource": "/api/v1/{tenant_id}/me",
        "pathParameters": {"tenant_id": "demo"},
        "headers": {"Authorization": f"Bearer {value}"},
    }


@on_dynamodb_local_too
def test_old_user_items_move_and_tokens_work_again(real: Container) -> None:
    from tests.conftest import session

    settings = real.settings
    client = _client(settings)
    value = real.tokens.create(session(real, "member@demo", "demo"), NewToken(name="m")).value
    lean = authenticator_for(settings, jwt_verifier=FakeJwtVerifier(), clock=real.clock)
    assert authorize(lean, _event(value))["context"]["role"] == "member"
    users = ("admin@demo", "member@demo", "viewer@demo", "admin@acme")
    for user_id in users:
        _as_before(client, settings, user_id)
    # Before the move: the users are not found (what a stage sees between deploy and migration).
    assert real.identity_store.get_user("member@demo") is None
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(lean, _event(value))
    assert sorted(move_user_items(client, settings.identity_table, dry_run=True).moved) == sorted(
        users
    )
    assert real.identity_store.get_user("member@demo") is None  # a dry run writes nothing
    report = move_user_items(client, settings.identity_table)
    assert sorted(report.moved) == sorted(users) and report.left == 0
    member = real.identity_store.get_user("member@demo")
    assert member is not None and member.memberships.keys() == {"demo", "acme"}
    assert authorize(lean, _event(value))["context"]["role"] == "member"
    again = move_user_items(client, settings.identity_table)
    assert again.moved == [] and again.left == 0
    left = client.scan(TableName=settings.identity_table)["Items"]
    assert not [i for i in left if i["sk"]["S"] == "USER" and "user_id" not in i]


def test_a_taken_key_keeps_the_old_item_and_a_change_meanwhile_is_not_lost(
    real: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = real.settings
    client = _client(settings)
    old = _as_before(client, settings, "viewer@demo")
    # The new key taken meanwhile (e.g. the user was added again): the old item stays.
    real.identity_store.put_user(
        User(id="viewer@demo", email="viewer@demo", name="again", memberships={})
    )
    report = move_user_items(client, settings.identity_table)
    assert report.taken == ["viewer@demo"] and report.moved == []
    key = {"pk": old["pk"], "sk": old["sk"]}
    assert client.get_item(TableName=settings.identity_table, Key=key).get("Item") == old
    # An item changed between the scan and the move: not moved, reported, moved next time.
    client.delete_item(
        TableName=settings.identity_table,
        Key={"pk": {"S": f"USER#{owner_key('viewer@demo')}"}, "sk": {"S": "USER"}},
    )
    stale = {**old, "name": {"S": "as scanned"}}
    monkeypatch.setattr(migrations, "old_user_items", lambda c, t: iter([stale]))
    report = move_user_items(client, settings.identity_table)
    assert report.changed == ["viewer@demo"] and report.moved == []
    monkeypatch.undo()
    assert move_user_items(client, settings.identity_table).moved == ["viewer@demo"]
    viewer = real.identity_store.get_user("viewer@demo")
    assert viewer is not None and viewer.name == old["name"]["S"]


def test_the_cli_moves_and_says_what_it_did(
    real: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = real.settings
    _as_before(_client(settings), settings, "admin@acme")
    monkeypatch.setenv("SCULPTOPS_IDENTITY_TABLE", settings.identity_table)
    dry = CliRunner().invoke(app, ["migrate", "user-keys", "--dry-run"])
    assert dry.exit_code == 0 and "would move 1 user item(s)" in dry.output
    assert "  admin@acme" in dry.output.splitlines()
    done = CliRunner().invoke(app, ["migrate", "user-keys"])
    assert done.exit_code == 0 and "moved 1 user item(s)" in done.output
    assert real.identity_store.get_user("admin@acme") is not None
