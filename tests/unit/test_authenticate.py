"""The one authentication routine: every rule of DESIGN.md §4 about using a token."""

import pytest

from sculptops.domain.errors import Forbidden, NotAuthenticated, Unavailable
from sculptops.domain.identity import CredentialKind
from sculptops.domain.presented import credential_from_headers
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.conftest import session


def _create(c, user="admin@demo", **kw):
    return c.tokens.create(session(c, user), NewToken(name=kw.pop("name", "t"), **kw))


def test_a_valid_token_authenticates_as_its_owner(fake):
    created = _create(fake)
    principal = fake.authenticator.authenticate(created.value)
    assert principal.kind is CredentialKind.TOKEN
    assert principal.subject == "admin@demo"
    assert principal.credential_id == created.token.id


def test_only_the_digest_is_stored(fake):
    created = _create(fake)
    stored = list(fake.token_store.items.values())
    assert len(stored) == 1
    assert created.value not in repr(stored[0])
    assert stored[0].digest == fake.authenticator._hasher.digest(created.value)


def test_a_malformed_token_is_refused_without_a_database_read(fake):
    created = _create(fake)
    reads = fake.token_store.reads
    bad = created.value[:-1] + ("A" if created.value[-1] != "A" else "B")
    with pytest.raises(NotAuthenticated) as exc:
        fake.authenticator.authenticate(bad)
    assert exc.value.reason == "malformed"
    assert fake.token_store.reads == reads


@pytest.mark.parametrize("credential", [None, "", "garbage", "Bearer", "ag_live_", "x" * 9000])
def test_missing_or_malformed_credentials_are_refused(fake, credential):
    with pytest.raises(NotAuthenticated):
        fake.authenticator.authenticate(credential)
    assert fake.token_store.reads == 0


def test_an_unknown_well_formed_token_is_refused(fake):
    from sculptops.domain.token_format import generate

    with pytest.raises(NotAuthenticated) as exc:
        fake.authenticator.authenticate(generate("ag_live_"))
    assert exc.value.reason == "unknown"


def test_expiry_is_checked_on_every_use(fake):
    created = _create(fake, expires_in_days=1)
    fake.authenticator.authenticate(created.value)
    fake.clock.advance(days=1)
    with pytest.raises(NotAuthenticated) as exc:
        fake.authenticator.authenticate(created.value)
    assert exc.value.reason == "expired"


def test_a_deleted_token_fails_on_the_very_next_use(fake):
    created = _create(fake)
    caller = session(fake, "admin@demo")
    fake.authenticator.authenticate(created.value)
    fake.tokens.delete(caller, created.token.id)
    with pytest.raises(NotAuthenticated):
        fake.authenticator.authenticate(created.value)


def test_revoke_all_refuses_every_token_created_before_it(fake):
    tokens = [_create(fake, name=f"t{i}") for i in range(3)]
    fake.clock.advance(seconds=1)
    fake.tokens.revoke_all(session(fake, "admin@demo"))
    for t in tokens:
        with pytest.raises(NotAuthenticated):
            fake.authenticator.authenticate(t.value)
    # A token created afterwards works.
    fake.clock.advance(seconds=1)
    after = _create(fake, name="after")
    assert fake.authenticator.authenticate(after.value).subject == "admin@demo"


def test_the_revocation_watermark_alone_refuses_a_token_the_delete_missed(fake):
    created = _create(fake)
    fake.clock.advance(seconds=1)
    fake.identity_store.revoke_tokens_before("admin@demo", fake.clock.now())
    assert created.token.digest in fake.token_store.items  # not deleted
    with pytest.raises(NotAuthenticated) as exc:
        fake.authenticator.authenticate(created.value)
    assert exc.value.reason == "revoked"


def test_a_token_of_a_deleted_user_is_refused(fake):
    created = _create(fake)
    del fake.identity_store.users["admin@demo"]
    with pytest.raises(NotAuthenticated):
        fake.authenticator.authenticate(created.value)


def test_a_store_failure_propagates_and_is_never_an_allow(fake):
    created = _create(fake)
    fake.token_store.fail_with = Unavailable()
    with pytest.raises(Unavailable):
        fake.authenticator.authenticate(created.value)


def test_last_used_is_written_at_most_every_few_minutes(fake):
    created = _create(fake)
    fake.authenticator.authenticate(created.value)
    first = fake.token_store.items[created.token.digest].last_used_at
    assert first == fake.clock.now()
    fake.clock.advance(seconds=30)
    fake.authenticator.authenticate(created.value)
    assert fake.token_store.items[created.token.digest].last_used_at == first
    fake.clock.advance(minutes=6)
    fake.authenticator.authenticate(created.value)
    assert fake.token_store.items[created.token.digest].last_used_at == fake.clock.now()


def test_a_token_acts_with_its_owners_current_role_never_more(fake):
    created = _create(fake, user="member@demo")
    p = fake.authenticator.authenticate(created.value)
    assert fake.authenticator.act_in(p, "demo").role is Role.MEMBER
    assert fake.authenticator.act_in(p, "acme").role is Role.VIEWER  # one user, two roles
    # Demoted: the very next request has the lower role.
    from dataclasses import replace

    user = fake.identity_store.users["member@demo"]
    fake.identity_store.users["member@demo"] = replace(
        user, memberships={**user.memberships, "demo": Role.VIEWER}
    )
    p = fake.authenticator.authenticate(created.value)
    assert fake.authenticator.act_in(p, "demo").role is Role.VIEWER


def test_a_ceiling_caps_the_role(fake):
    created = _create(fake, ceiling=Role.VIEWER)
    p = fake.authenticator.authenticate(created.value)
    assert fake.authenticator.act_in(p, "demo").role is Role.VIEWER


def test_no_membership_is_forbidden_and_active_resolves(fake):
    created = _create(fake)
    p = fake.authenticator.authenticate(created.value)
    with pytest.raises(Forbidden):
        fake.authenticator.act_in(p, "acme")
    assert fake.authenticator.act_in(p, "active").tenant == "demo"
    assert fake.authenticator.act_in(p, None).tenant == "demo"


def test_jwt_principal_and_unknown_subject(fake):
    verifier = fake.authenticator._jwt
    verifier.valid["eyJa.b.c"] = {"sub": "viewer@demo", "exp": 2_000_000_000}
    verifier.valid["eyJx.y.z"] = {"sub": "stranger", "exp": 2_000_000_000}
    p = fake.authenticator.authenticate("eyJa.b.c")
    assert p.kind is CredentialKind.JWT and p.subject == "viewer@demo"
    assert fake.authenticator.act_in(p, "demo").role is Role.VIEWER
    with pytest.raises(Forbidden):
        fake.authenticator.authenticate("eyJx.y.z")
    with pytest.raises(NotAuthenticated):
        fake.authenticator.authenticate("eyJq.q.q")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer abc"}, "abc"),
        ({"authorization": "bearer  abc "}, "abc"),
        ({"X-API-Key": "abc"}, "abc"),
        ({"x-api-key": " abc"}, "abc"),
        ({"Authorization": "Basic abc"}, None),
        ({"Authorization": "Bearer"}, None),
        ({"Authorization": "abc"}, None),
        ({}, None),
    ],
)
def test_credential_from_headers(headers, expected):
    assert credential_from_headers(headers) == expected


def test_bearer_wins_over_api_key_and_a_bad_bearer_is_not_rescued(fake):
    assert credential_from_headers({"Authorization": "Bearer a", "X-API-Key": "b"}) == "a"
    assert credential_from_headers({"Authorization": "Basic a", "X-API-Key": "b"}) is None


def test_revoke_all_of_thousands_pages_through_them(fake):
    for i in range(2500):
        _create(fake, name=f"t{i}")
    assert fake.tokens.revoke_all(session(fake, "admin@demo")) == 2500
    assert not fake.token_store.items
    # Idempotent.
    assert fake.tokens.revoke_all(session(fake, "admin@demo")) == 0


def test_expired_token_refused_even_before_ttl_deletes_it(fake):
    created = _create(fake, expires_in_days=1)
    fake.clock.advance(days=1, seconds=1)
    assert created.token.digest in fake.token_store.items
    with pytest.raises(NotAuthenticated):
        fake.authenticator.authenticate(created.value)
