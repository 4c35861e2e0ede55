"""A personal token carries its owner's key, so that the token, its owner and the request's
tenant are read in one request (services.auth with a CredentialReader). The hostile cases
first: a value whose owner key is not its stored owner's, a user item under the key that is
someone else, a value made before the key (still works, one request more)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sculptops.bootstrap import Container
from sculptops.domain import ids, token_format
from sculptops.domain.errors import Forbidden, NotAuthenticated, Unavailable
from sculptops.services.auth import Authenticator
from sculptops.services.tokens import NewToken
from tests.conftest import session
from tests.fakes import FakeCredentialReader


class Counting:
    """Counts the identity store's get_user calls (one round trip each on DynamoDB)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.get_user_calls = 0

    def get_user(self, user_id: str) -> Any:
        self.get_user_calls += 1
        return self.inner.get_user(user_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def one(fake: Container) -> tuple[Authenticator, FakeCredentialReader, Counting]:
    a = fake.authenticator
    identities = Counting(fake.identity_store)
    reader = FakeCredentialReader(fake.token_store, fake.identity_store, a._hasher)  # type: ignore[arg-type]
    lean = Authenticator(
        config=a._config,
        tokens=fake.token_store,
        identities=identities,  # type: ignore[arg-type]
        hasher=a._hasher,
        clock=fake.clock,
        jwt_verifier=None,
        reads=reader,
    )
    return lean, reader, identities


def _minted(fake: Container, user: str = "member@demo") -> tuple[str, Any]:
    created = fake.tokens.create(session(fake, user, "demo"), NewToken(name="t"))
    return created.value, created.token


def test_a_new_value_carries_its_owners_key(fake: Container) -> None:
    value, _ = _minted(fake)
    parsed = token_format.parse(value, "ag_live_")
    keys = fake.authenticator._hasher
    assert parsed is not None and parsed.owner_key == keys.owner_key("member@demo")
    assert len(value) == len("ag_live_") + token_format.LONG_BODY


def test_token_owner_and_tenant_in_one_request(fake: Container, one: Any) -> None:
    lean, reader, identities = one
    value, _ = _minted(fake)
    principal, read = lean.identify(value, None, "demo")
    caller = lean.act_in(principal, "demo", read)
    assert (caller.subject, caller.tenant, caller.role.value) == ("member@demo", "demo", "member")
    assert reader.requests == 1 and identities.get_user_calls == 0


def test_a_value_made_before_the_owner_key_still_works_one_request_more(
    fake: Container, one: Any
) -> None:
    lean, reader, identities = one
    _, token = _minted(fake)
    old_value = token_format.generate("ag_live_")  # the short body: no owner key
    assert token_format.parse(old_value, "ag_live_") == token_format.Parsed(None)
    fake.token_store.put(
        replace(token, digest=lean._hasher.digest(old_value), id=ids.sortable_id("tok", 1))
    )
    principal, read = lean.identify(old_value, None, "demo")
    assert lean.act_in(principal, "demo", read).subject == "member@demo"
    assert reader.requests == 1 and identities.get_user_calls == 1


def test_a_value_with_another_users_key_is_refused(fake: Container, one: Any) -> None:
    """A stored token of member@demo whose value names admin@demo's key (a forged or corrupted
    value): the admin's item was read with it, and must not be used for the member's token."""
    lean, _, _ = one
    _, token = _minted(fake)
    forged = token_format.generate("ag_live_", lean._hasher.owner_key("admin@demo"))
    fake.token_store.put(replace(token, digest=lean._hasher.digest(forged), id="tok_forged"))
    with pytest.raises(NotAuthenticated) as refused:
        lean.identify(forged, None, "demo")
    assert refused.value.reason == "unknown"


def test_a_user_read_under_the_key_that_is_someone_else_is_refused(
    fake: Container, one: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were two ids ever to share a key, the item read is not the owner's: refused."""
    lean, reader, _ = one
    value, _ = _minted(fake)
    admin = fake.identity_store.get_user("admin@demo")
    monkeypatch.setattr(
        reader,
        "token_owner_tenant",
        lambda d, k, s: (fake.token_store.items.get(d), admin, fake.identity_store.get_tenant(s)),
    )
    with pytest.raises(NotAuthenticated) as refused:
        lean.identify(value, None, "demo")
    assert refused.value.reason == "unknown-user"


def test_the_owner_read_with_the_token_carries_revocations_and_roles(
    fake: Container, one: Any
) -> None:
    lean, _, _ = one
    value, _ = _minted(fake)
    fake.clock.advance(seconds=1)
    fake.identity_store.revoke_tokens_before("member@demo", fake.clock.now())
    with pytest.raises(NotAuthenticated) as refused:
        lean.identify(value, None, "demo")
    assert refused.value.reason == "revoked"
    later, _ = _minted(fake)
    del fake.identity_store.users["member@demo"]
    with pytest.raises(NotAuthenticated) as gone:
        lean.identify(later, None, "demo")
    assert gone.value.reason == "unknown-user"


def test_a_member_of_another_tenant_only_is_denied(fake: Container, one: Any) -> None:
    lean, reader, _ = one
    value, _ = _minted(fake, "admin@demo")
    principal, read = lean.identify(value, None, "acme")
    with pytest.raises(Forbidden):
        lean.act_in(principal, "acme", read)
    assert reader.requests == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"),  # checksum
        lambda v: v[:45] + ("x" if v[45] != "x" else "y") + v[46:],  # inside the owner key
        lambda v: v[:-7] + v[-6:],  # one character short
        lambda v: v[:40] + "é" + v[41:],
    ],
)
def test_a_mangled_value_is_refused_before_any_read(fake: Container, one: Any, mutate) -> None:
    lean, reader, identities = one
    value, _ = _minted(fake)
    with pytest.raises(NotAuthenticated) as refused:
        lean.identify(mutate(value), None, "demo")
    assert refused.value.reason == "malformed"
    assert reader.requests == 0 and identities.get_user_calls == 0


def test_a_store_failure_is_unavailable_never_an_allow(fake: Container, one: Any) -> None:
    lean, _, _ = one
    value, _ = _minted(fake)
    fake.identity_store.fail_with = Unavailable()
    with pytest.raises(Unavailable):
        lean.identify(value, None, "demo")
