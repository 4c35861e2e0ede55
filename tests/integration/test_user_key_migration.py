"""`sculptops migrate user-keys`: user items not under the key the stage's pepper gives them
(written before tokens carried their owner's key, under `USER#<user id>`; or under another
pepper) move there without losing a change made meanwhile, and tokens work afterwards."""

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
from sculptops.domain.roles import Role
from sculptops.domain.token_format import TokenHasher
from sculptops.services.tokens import NewToken
from sculptops.settings import Settings
from tests.conftest import session
from tests.fakes import FakeJwtVerifier
from tests.integration.conftest import on_dynamodb_local_too


def _client(settings: Settings) -> Any:
    return botocore.session.get_session().create_client(
        "dynamodb", settings.region, endpoint_url=settings.dynamodb_endpoint
    )


def _keys(settings: Settings) -> TokenHasher:
    return TokenHasher(settings.token_pepper)


def _key(settings: Settings, user_id: str, keys: TokenHasher | None = None) -> dict[str, Any]:
    owner = (keys or _keys(settings)).owner_key(user_id)
    return {"pk": {"S": f"USER#{owner}"}, "sk": {"S": "USER"}}


def _item(client: Any, settings: Settings, key: dict[str, Any]) -> dict[str, Any] | None:
    got = client.get_item(TableName=settings.identity_table, Key=key, ConsistentRead=True)
    item: dict[str, Any] | None = got.get("Item")
    return item


def _as_before(client: Any, settings: Settings, user_id: str) -> dict[str, Any]:
    """Put a user's item back where the code before the owner key wrote it (no user_id)."""
    item = _item(client, settings, _key(settings, user_id))
    assert item is not None
    old = {**item, "pk": {"S": f"USER#{user_id}"}}
    del old["user_id"]
    client.put_item(TableName=settings.identity_table, Item=old)
    client.delete_item(TableName=settings.identity_table, Key=_key(settings, user_id))
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
    settings = real.settings
    client = _client(settings)
    keys = _keys(settings)
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
    dry = move_user_items(client, settings.identity_table, keys, dry_run=True)
    assert sorted(dry.moved) == sorted(users)
    assert real.identity_store.get_user("member@demo") is None  # a dry run writes nothing
    report = move_user_items(client, settings.identity_table, keys)
    assert sorted(report.moved) == sorted(users) and report.left == 0
    member = real.identity_store.get_user("member@demo")
    assert member is not None and member.memberships.keys() == {"demo", "acme"}
    assert authorize(lean, _event(value))["context"]["role"] == "member"
    again = move_user_items(client, settings.identity_table, keys)
    assert again.moved == again.merged == [] and again.left == 0


def test_a_new_pepper_moves_every_user(real: Container) -> None:
    """After a change of pepper (every token dies, as documented), the users move too."""
    settings = real.settings
    client = _client(settings)
    new_keys = TokenHasher(b"a-new-pepper-0123456789")
    # Without saying the pepper changed, nothing moves: a wrong pepper would move every user.
    wrong = move_user_items(client, settings.identity_table, new_keys)
    assert wrong.moved == [] and "member@demo" in wrong.other_pepper and wrong.left > 0
    assert _item(client, settings, _key(settings, "member@demo")) is not None
    report = move_user_items(client, settings.identity_table, new_keys, pepper_changed=True)
    assert "member@demo" in report.moved and report.left == 0
    assert _item(client, settings, _key(settings, "member@demo")) is None
    moved = _item(client, settings, _key(settings, "member@demo", new_keys))
    assert moved is not None and moved["user_id"] == {"S": "member@demo"}


def test_a_user_added_again_meanwhile_is_merged(real: Container) -> None:
    """On a stage not migrated yet, viewer@demo (old item: demo) is added to acme: a new item
    under the new key. The move merges them: both tenants, and the member lists agree."""
    settings = real.settings
    client = _client(settings)
    _as_before(client, settings, "viewer@demo")
    admin_acme = session(real, "admin@acme", "acme")
    real.membership.add_member(admin_acme, "viewer@demo", Role.MEMBER)
    added = real.identity_store.get_user("viewer@demo")
    assert added is not None and set(added.memberships) == {"acme"}
    report = move_user_items(client, settings.identity_table, _keys(settings))
    assert report.merged == ["viewer@demo"] and report.left == 0
    viewer = real.identity_store.get_user("viewer@demo")
    assert viewer is not None
    assert viewer.memberships == {"demo": Role.VIEWER, "acme": Role.MEMBER}
    assert _item(client, settings, {"pk": {"S": "USER#viewer@demo"}, "sk": {"S": "USER"}}) is None
    # The demo admin can manage the member again (the member item and the user item agree).
    admin = session(real, "admin@demo", "demo")
    real.membership.set_role(admin, "viewer@demo", Role.MEMBER)
    again = real.identity_store.get_user("viewer@demo")
    assert again is not None and again.memberships["demo"] is Role.MEMBER


def test_a_change_meanwhile_is_never_lost(real: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first revoke-all (an attribute the item did not have) written between the scan and
    the move: not moved, reported; moved with the watermark on the next run."""
    settings = real.settings
    client = _client(settings)
    keys = _keys(settings)
    old = _as_before(client, settings, "viewer@demo")
    assert "tokens_revoked_before" not in old
    watermark = {"S": "2026-12-07T10:00:00.000000+0000"}
    client.update_item(
        TableName=settings.identity_table,
        Key={"pk": old["pk"], "sk": old["sk"]},
        UpdateExpression="SET tokens_revoked_before = :w",
        ExpressionAttributeValues={":w": watermark},
    )
    monkeypatch.setattr(migrations, "user_items", lambda c, t: iter([old]))  # the scan, earlier
    report = move_user_items(client, settings.identity_table, keys)
    assert report.changed == ["viewer@demo"] and report.moved == []
    monkeypatch.undo()
    assert move_user_items(client, settings.identity_table, keys).moved == ["viewer@demo"]
    moved = _item(client, settings, _key(settings, "viewer@demo"))
    assert moved is not None and moved["tokens_revoked_before"] == watermark


def test_the_cli_needs_the_stages_pepper_and_says_what_it_did(
    real: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = real.settings
    _as_before(_client(settings), settings, "admin@acme")
    monkeypatch.setenv("SCULPTOPS_IDENTITY_TABLE", settings.identity_table)
    monkeypatch.delenv("SCULPTOPS_TOKEN_PEPPER", raising=False)
    refused = CliRunner().invoke(app, ["migrate", "user-keys"])
    assert refused.exit_code == 2 and "SCULPTOPS_TOKEN_PEPPER" in refused.output
    assert settings.token_pepper is not None
    monkeypatch.setenv("SCULPTOPS_TOKEN_PEPPER", settings.token_pepper.decode())
    dry = CliRunner().invoke(app, ["migrate", "user-keys", "--dry-run"])
    assert dry.exit_code == 0 and "would move 1 user item(s)" in dry.output
    assert "  admin@acme" in dry.output.splitlines()
    done = CliRunner().invoke(app, ["migrate", "user-keys"])
    assert done.exit_code == 0 and "moved 1 user item(s)" in done.output
    assert real.identity_store.get_user("admin@acme") is not None
    # Another pepper (a typo, another stage's): refused, nothing moved, exit 1.
    monkeypatch.setenv("SCULPTOPS_TOKEN_PEPPER", "not-this-stages-pepper-0123")
    wrong = CliRunner().invoke(app, ["migrate", "user-keys"])
    assert wrong.exit_code == 1 and "--pepper-changed" in wrong.output
    assert real.identity_store.get_user("admin@acme") is not None


def test_every_attribute_a_user_item_can_have_is_checked() -> None:
    """migrations.USER_ATTRIBUTES names every attribute the stores write on a user item."""
    import inspect

    from sculptops.adapters.dynamodb import identity, members, token_ledger

    written = set()
    for module in (identity, members, token_ledger):
        source = inspect.getsource(module)
        for name in ("email", "name", "memberships", "active_tenant", "tokens_revoked_before"):
            if f"{name}=" in source or f".{name}" in source:
                written.add(name)
    assert written | {"user_id"} <= set(migrations.USER_ATTRIBUTES)
    assert User.__dataclass_fields__.keys() - {"id"} <= set(migrations.USER_ATTRIBUTES)


def test_an_item_under_another_users_key_is_never_read_as_this_user(real: Container) -> None:
    """Were an item ever under a key that is not its user's (a corrupted or colliding key), the
    stores read no user there (the authorizer's check of the owner does the same)."""
    settings = real.settings
    client = _client(settings)
    item = _item(client, settings, _key(settings, "admin@demo"))
    assert item is not None
    client.put_item(
        TableName=settings.identity_table, Item={**item, **_key(settings, "viewer@demo")}
    )
    assert real.identity_store.get_user("viewer@demo") is None
    from sculptops.adapters.dynamodb.auth_reads import AuthReads

    assert AuthReads(settings).get_user("viewer@demo") is None
    admin = real.identity_store.get_user("admin@demo")
    assert admin is not None and admin.id == "admin@demo"


def test_merging_keeps_a_name_and_never_merges_another_users_item(real: Container) -> None:
    """Round 3: a re-added user's empty name replaced the old one; an item under the new key
    that belongs to another user (a chosen id equal to a victim's owner key) was merged."""
    settings = real.settings
    client = _client(settings)
    keys = _keys(settings)
    old = _as_before(client, settings, "viewer@demo")
    real.membership.add_member(session(real, "admin@acme", "acme"), "viewer@demo", Role.MEMBER)
    assert move_user_items(client, settings.identity_table, keys).merged == ["viewer@demo"]
    viewer = real.identity_store.get_user("viewer@demo")
    assert viewer is not None and viewer.name == old["name"]["S"] != ""
    # A legacy item whose new key holds another user's item (a collision, which needs the
    # pepper and a chosen id): made by hand, copying the victim's item to that key.
    victim = _item(client, settings, _key(settings, "admin@demo"))
    assert victim is not None
    attacker = {
        "pk": {"S": "USER#attacker@x"},
        "sk": {"S": "USER"},
        "email": {"S": "attacker@x"},
        "memberships": {"M": {"zeta": {"S": "admin"}}},
    }
    client.put_item(TableName=settings.identity_table, Item=attacker)
    client.put_item(
        TableName=settings.identity_table,
        Item={**victim, **_key(settings, "attacker@x")},  # the victim's item, colliding
    )
    report = move_user_items(client, settings.identity_table, keys)
    assert report.conflicts == ["attacker@x"] and report.merged == report.moved == []
    admin = real.identity_store.get_user("admin@demo")
    assert admin is not None and set(admin.memberships) == {"demo"}
    assert _item(client, settings, {"pk": {"S": "USER#attacker@x"}, "sk": {"S": "USER"}})
    # An old-form item there instead (no user_id: a user whose id is that very key): never
    # merged; each ends under its own key, whichever the scan meets first.
    client.delete_item(TableName=settings.identity_table, Key=_key(settings, "attacker@x"))
    other_id = _key(settings, "attacker@x")["pk"]["S"][len("USER#") :]
    legacy_there = {**_key(settings, "attacker@x"), "email": {"S": "someone@else"}}
    client.put_item(TableName=settings.identity_table, Item=legacy_there)
    for _ in range(2):
        again = move_user_items(client, settings.identity_table, keys)
        assert again.merged == [] and "admin@demo" not in again.moved
    mine = _item(client, settings, _key(settings, "attacker@x"))
    theirs = _item(client, settings, _key(settings, other_id))
    assert mine is not None and mine["email"] == {"S": "attacker@x"}
    assert theirs is not None and theirs["email"] == {"S": "someone@else"}


def test_a_key_naming_no_user_is_left_alone(real: Container) -> None:
    settings = real.settings
    client = _client(settings)
    client.put_item(
        TableName=settings.identity_table,
        Item={"pk": {"S": "USER#"}, "sk": {"S": "USER"}, "email": {"S": "x"}},
    )
    report = move_user_items(client, settings.identity_table, _keys(settings))
    assert report.unusable == ["USER#"] and report.left == 0
    again = move_user_items(client, settings.identity_table, _keys(settings))
    assert again.unusable == ["USER#"] and again.moved == [] and again.left == 0
