"""A token never out-ranks its maker: ceilings govern token management; minted tokens die with
their parent; a replayed Idempotency-Key is authorized like a first request (DESIGN §3)."""

import pytest

from sculptops.domain.errors import Forbidden, NotAuthenticated, NotFound
from sculptops.domain.roles import Role
from sculptops.domain.tokens import ceiling_rank, descendants, may_manage
from sculptops.services.tokens import ABOVE_CEILING, NewToken
from tests.conftest import session


def _caller(c, value, tenant="active"):
    return c.authenticator.act_in(c.authenticator.authenticate(value), tenant)


def _works(c, value) -> bool:
    try:
        c.authenticator.authenticate(value)
    except NotAuthenticated:
        return False
    return True


@pytest.fixture
def admin_tokens(fake):
    """admin@demo (JWT) made A (admin ceiling), U (no ceiling), M (member) and V (viewer)."""
    jwt = session(fake, "admin@demo")
    made = {}
    for name, ceiling in (("A", Role.ADMIN), ("U", None), ("M", Role.MEMBER), ("V", Role.VIEWER)):
        made[name] = fake.tokens.create(jwt, NewToken(name=name, ceiling=ceiling))
        fake.clock.advance(seconds=1)
    return made


def test_ceiling_rank_puts_no_ceiling_at_the_top():
    assert ceiling_rank(None) == ceiling_rank(Role.ADMIN) > ceiling_rank(Role.MEMBER)
    assert ceiling_rank(Role.MEMBER) > ceiling_rank(Role.VIEWER)


def test_a_viewer_ceiling_token_lists_only_tokens_at_or_below_its_ceiling(fake, admin_tokens):
    # Given a viewer-ceiling token V among admin, unlimited and member tokens
    v = _caller(fake, admin_tokens["V"].value)
    # When V lists, one token a page
    page = fake.tokens.list(v, None, 1)
    # Then it sees only V, however it pages
    names = [t.name for t in page.tokens]
    while page.next_cursor is not None:
        page = fake.tokens.list(v, page.next_cursor, 1)
        names += [t.name for t in page.tokens]
    assert names == ["V"]
    m = _caller(fake, admin_tokens["M"].value)
    assert [t.name for t in fake.tokens.list(m, None, 100).tokens] == ["V", "M"]
    # A JWT session and an unlimited token see them all.
    everything = ["V", "M", "U", "A"]
    assert [t.name for t in fake.tokens.list(session(fake, "admin@demo"), None, 100).tokens] == (
        everything
    )
    u = _caller(fake, admin_tokens["U"].value)
    assert [t.name for t in fake.tokens.list(u, None, 100).tokens] == everything


@pytest.mark.parametrize("target", ["A", "U", "M"])
def test_a_viewer_ceiling_token_cannot_delete_a_token_above_it(fake, admin_tokens, target):
    v = _caller(fake, admin_tokens["V"].value)
    with pytest.raises(Forbidden) as exc:
        fake.tokens.delete(v, admin_tokens[target].token.id)
    assert exc.value.message == ABOVE_CEILING
    assert _works(fake, admin_tokens[target].value)


def test_a_ceiling_token_deletes_tokens_at_or_below_it(fake, admin_tokens):
    m = _caller(fake, admin_tokens["M"].value)
    fake.tokens.delete(m, admin_tokens["V"].token.id)
    assert not _works(fake, admin_tokens["V"].value)
    # Unknown stays 404, as before.
    with pytest.raises(NotFound):
        fake.tokens.delete(m, admin_tokens["V"].token.id)


def test_revoke_all_from_a_ceiling_token_spares_the_tokens_above_it(fake, admin_tokens):
    # Given V minted a child, and M another viewer token
    v = _caller(fake, admin_tokens["V"].value)
    child = fake.tokens.create(v, NewToken(name="V-child"))
    other = fake.tokens.create(
        _caller(fake, admin_tokens["M"].value), NewToken(name="M-viewer", ceiling=Role.VIEWER)
    )
    # When V revokes all
    fake.tokens.revoke_all(v)
    # Then the viewer tokens (V itself included) are gone, A, U and M still work
    for value in (admin_tokens["V"].value, child.value, other.value):
        assert not _works(fake, value)
    for name in ("A", "U", "M"):
        assert _works(fake, admin_tokens[name].value)
    # and the owner-wide watermark is untouched.
    assert fake.identity_store.get_user("admin@demo").tokens_revoked_before is None


@pytest.mark.parametrize("who", ["jwt", "U"])
def test_revoke_all_from_a_jwt_or_an_unlimited_token_revokes_everything(fake, admin_tokens, who):
    caller = session(fake, "admin@demo") if who == "jwt" else _caller(fake, admin_tokens["U"].value)
    fake.tokens.revoke_all(caller)
    assert not any(_works(fake, t.value) for t in admin_tokens.values())
    assert fake.identity_store.get_user("admin@demo").tokens_revoked_before == fake.clock.now()


def test_deleting_a_token_deletes_every_token_it_minted(fake):
    # Given T minted C, C minted G, and S is T's sibling
    jwt = session(fake, "admin@demo")
    t = fake.tokens.create(jwt, NewToken(name="T"))
    s = fake.tokens.create(jwt, NewToken(name="S"))
    c = fake.tokens.create(_caller(fake, t.value), NewToken(name="C"))
    g = fake.tokens.create(_caller(fake, c.value), NewToken(name="G"))
    # When T is deleted
    fake.tokens.delete(jwt, t.token.id)
    # Then C and G fail on their very next use, S does not
    assert not _works(fake, c.value)
    assert not _works(fake, g.value)
    assert _works(fake, s.value)


def test_a_child_minted_while_its_parent_is_deleted_is_undone(fake):
    # Given T is deleted (and its children swept) just before T's child lands in the store
    jwt = session(fake, "admin@demo")
    t = fake.tokens.create(jwt, NewToken(name="T"))
    as_t = _caller(fake, t.value)
    store = fake.token_store
    ledger = fake.token_ledger  # create writes the token through the ledger
    create = ledger.create

    def create_after_the_parent_went(token, tenants, event):
        ledger.create = create
        fake.tokens.delete(jwt, t.token.id)
        create(token, tenants, event)

    ledger.create = create_after_the_parent_went
    # When T's mint completes, Then it is refused (401) and leaves no token behind
    with pytest.raises(NotAuthenticated):
        fake.tokens.create(as_t, NewToken(name="C"))
    assert [x.name for x in store.items.values()] == []


def test_a_child_minted_after_a_revoke_all_of_its_parent_is_undone(fake):
    # Given T authenticated, then its owner revoked all tokens by watermark, then T mints
    jwt = session(fake, "admin@demo")
    t = fake.tokens.create(jwt, NewToken(name="T"))
    as_t = _caller(fake, t.value)
    fake.clock.advance(seconds=1)
    fake.identity_store.revoke_tokens_before("admin@demo", fake.clock.now())
    fake.clock.advance(seconds=1)
    # When T's mint completes (the sweep has not reached T yet), Then it is refused
    with pytest.raises(NotAuthenticated):
        fake.tokens.create(as_t, NewToken(name="C"))
    assert [x.name for x in fake.token_store.items.values()] == ["T"]


def test_descendants_follow_created_by_and_never_loop(fake):
    jwt = session(fake, "admin@demo")
    t = fake.tokens.create(jwt, NewToken(name="T"))
    c = fake.tokens.create(_caller(fake, t.value), NewToken(name="C"))
    g = fake.tokens.create(_caller(fake, c.value), NewToken(name="G"))
    everything = list(fake.token_store.items.values())
    assert {x.name for x in descendants(everything, [t.token.id])} == {"C", "G"}
    assert {x.name for x in descendants(everything, [g.token.id])} == set()
    assert may_manage(None, t.token) and not may_manage(Role.MEMBER, t.token)


def test_a_replay_is_authorized_like_a_first_request(fake, admin_tokens):
    # A viewer-ceiling token of an admin may not trigger, so may not be replayed a trigger either.
    with pytest.raises(Forbidden):
        fake.executions.authorize_trigger(_caller(fake, admin_tokens["V"].value))
    fake.executions.authorize_trigger(_caller(fake, admin_tokens["M"].value))
    fake.executions.authorize_trigger(session(fake, "member@demo"))
    with pytest.raises(Forbidden):
        fake.executions.authorize_trigger(session(fake, "viewer@demo"))


def test_a_token_list_never_leaks_across_owners_with_ceilings(fake, admin_tokens):
    fake.clock.advance(seconds=1)
    other = fake.tokens.create(session(fake, "viewer@demo"), NewToken(name="theirs"))
    v = _caller(fake, admin_tokens["V"].value)
    assert other.token.id not in {t.id for t in fake.tokens.list(v, None, 100).tokens}
