"""The DynamoDB adapters keep the ports' promises, on moto and on DynamoDB Local."""

from datetime import timedelta

import pytest

from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.conftest import session
from tests.integration.conftest import on_dynamodb_local_too


def _create(c, user="admin@demo", **kw):
    return c.tokens.create(session(c, user), NewToken(name=kw.pop("name", "t"), **kw))


def test_identity_round_trip(real):
    user = real.identity_store.get_user("member@demo")
    assert user.memberships == {"demo": Role.MEMBER, "acme": Role.VIEWER}
    assert user.active_tenant == "demo" and user.tokens_revoked_before is None
    assert real.identity_store.get_tenant("acme").name == "Acme"
    assert real.identity_store.get_user("nobody") is None
    assert real.identity_store.get_tenant("nowhere") is None


def test_token_round_trip_by_digest(real):
    created = _create(real, ceiling=Role.MEMBER, expires_in_days=3)
    stored = real.token_store.get(created.token.digest)
    assert stored == created.token
    assert real.token_store.get("0" * 64) is None
    principal = real.authenticator.authenticate(created.value)
    assert principal.ceiling is Role.MEMBER


def test_the_stored_item_holds_a_digest_and_no_value(real, backend):
    import boto3

    created = _create(real)
    client = boto3.client("dynamodb", endpoint_url=backend.dynamodb_endpoint)
    items = client.scan(TableName=backend.tokens_table)["Items"]
    assert len(items) == 1
    raw = str(items[0])
    assert created.value not in raw and created.value[8:] not in raw
    assert items[0]["digest"]["S"] == created.token.digest
    assert int(items[0]["expires_ttl"]["N"]) == int(created.token.expires_at.timestamp())


def test_list_pages_newest_first_and_cursor_names_no_digest(real):
    made = []
    for i in range(7):
        made.append(_create(real, name=f"t{i}"))
        real.clock.advance(seconds=1)
    seen, cursor = [], None
    while True:
        page = real.token_store.list_for_owner("admin@demo", cursor, 3)
        seen += [t.name for t in page.tokens]
        if page.next_cursor is None:
            break
        assert all(t.digest not in page.next_cursor for t in page.tokens)
        cursor = page.next_cursor
    assert seen == [f"t{i}" for i in reversed(range(7))]


@on_dynamodb_local_too
def test_delete_is_conditional_on_the_owner(real):
    created = _create(real)
    other = real.tokens.create(session(real, "viewer@demo"), NewToken(name="v")).token
    from dataclasses import replace

    assert not real.token_store.delete(replace(other, owner="admin@demo"))
    assert real.token_store.delete(created.token)
    assert not real.token_store.delete(created.token)
    with pytest.raises(NotAuthenticated):
        real.authenticator.authenticate(created.value)


@on_dynamodb_local_too
def test_recording_use_never_resurrects_a_deleted_token(real):
    created = _create(real)
    real.token_store.delete(created.token)
    assert not real.token_store.record_use(created.token, real.clock.now(), ("192.0.2.1",))
    assert real.token_store.get(created.token.digest) is None


@on_dynamodb_local_too
def test_revoke_all_deletes_more_than_a_batch_and_moves_the_watermark(real):
    for i in range(60):
        _create(real, name=f"t{i}")
    other = real.tokens.create(session(real, "viewer@demo"), NewToken(name="v"))
    real.clock.advance(seconds=1)
    assert real.tokens.revoke_all(session(real, "admin@demo")) == 60
    assert real.token_store.list_for_owner("admin@demo", None, 100).tokens == []
    assert real.identity_store.get_user("admin@demo").tokens_revoked_before == real.clock.now()
    assert real.authenticator.authenticate(other.value).subject == "viewer@demo"


@on_dynamodb_local_too
def test_the_watermark_never_moves_back(real):
    now = real.clock.now()
    real.identity_store.revoke_tokens_before("admin@demo", now)
    real.identity_store.revoke_tokens_before("admin@demo", now - timedelta(hours=1))
    assert real.identity_store.get_user("admin@demo").tokens_revoked_before == now


def test_find_by_id(real):
    created = _create(real)
    assert real.token_store.find("admin@demo", created.token.id) == created.token
    assert real.token_store.find("viewer@demo", created.token.id) is None
