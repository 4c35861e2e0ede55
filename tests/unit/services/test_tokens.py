"""TokenService on fakes, beside tests/unit/test_token_service.py and test_token_governance.py
(which cover names, expiry, ceilings, listing and cascades): what those leave out."""

from __future__ import annotations

import pytest

from sculptops.domain.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from sculptops.services.tokens import NewToken
from tests.conftest import session


def test_an_agent_has_no_personal_tokens(c, agent):
    with pytest.raises(Forbidden):
        c.tokens.create(agent, NewToken("x"))
    with pytest.raises(Forbidden):
        c.tokens.list(agent, None, 10)
    with pytest.raises(Forbidden):
        c.tokens.revoke_all(agent)


def test_the_value_is_returned_once_and_only_its_digest_is_stored(c):
    created = c.tokens.create(session(c, "member@demo"), NewToken("laptop"))
    stored = c.token_store.get(created.token.digest)
    assert stored == created.token
    assert created.value not in repr(stored) and created.value[8:] not in repr(stored)


def test_revoke_all_counts_and_refuses_every_token_then_new_ones_work(c):
    # Given three tokens of the admin
    admin = session(c, "admin@demo")
    values = [c.tokens.create(admin, NewToken(f"t{i}")).value for i in range(3)]
    # When revoked all (a second later, as the watermark compares times)
    c.clock.advance(seconds=1)
    assert c.tokens.revoke_all(admin) == 3
    # Then each fails, the list is empty, and a token made afterwards works
    for value in values:
        with pytest.raises(NotAuthenticated):
            c.authenticator.authenticate(value)
    assert c.tokens.list(admin, None, 10).tokens == []
    c.clock.advance(seconds=1)
    after = c.tokens.create(admin, NewToken("after")).value
    assert c.authenticator.authenticate(after).subject == "admin@demo"


def test_a_token_of_another_user_is_not_found(c):
    theirs = c.tokens.create(session(c, "viewer@demo"), NewToken("v")).token
    with pytest.raises(NotFound):
        c.tokens.delete(session(c, "admin@demo"), theirs.id)
    assert c.token_store.get(theirs.digest) is not None


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "\t\n",
        "\u200b",
        "\u00a0\u200b",
        "\ufeff\u2060",
        "\u3164",
        "\u2800",
        "\u0301",
        "\u2065",
        "\U000e0080",
        "\ufff0",
        "\U000f0000",
        "\ue000\uf8ff",
    ],
)
def test_a_blank_name_is_refused_saying_so_and_nothing_is_stored(c, name):
    # Given member@demo's session
    member = session(c, "member@demo")
    # When it asks for a token named only with blanks
    with pytest.raises(InvalidInput) as refused:
        c.tokens.create(member, NewToken(name))
    # Then the refusal names the field and says why, and no token exists
    assert (refused.value.field, refused.value.detail) == ("name", "must not be blank")
    assert c.tokens.list(member, None, 10).tokens == []


def test_a_name_with_something_to_show_is_kept_as_given(c):
    created = c.tokens.create(session(c, "member@demo"), NewToken("  a\u200bb  "))
    assert created.token.name == "a\u200bb"
