"""A rotated-away value never outlasts what replaced it, nor mints past its own end.

Found by an attacker of the token list: during an overlap, taking the new value away left the
old one working, and the old one could mint tokens that outlived the overlap.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sculptops.domain.errors import InvalidInput, NotAuthenticated
from sculptops.domain.identity import Caller
from sculptops.services.rotation import Rotated, Rotation
from sculptops.services.tokens import CreatedToken, NewToken
from tests.conftest import session


def acting(c: Any, value: str, tenant: str = "demo") -> Caller:
    return c.authenticator.act_in(c.authenticator.authenticate(value), tenant)


def rotated(c: Any, user: str, overlap: int = 600) -> tuple[CreatedToken, Rotated]:
    """A token of `user`, rotated under its own value with an overlap."""
    old = c.tokens.create(session(c, user), NewToken("pipeline", expires_in_days=30))
    new = c.tokens.rotate(acting(c, old.value), old.token.id, Rotation(overlap_seconds=overlap))
    return old, new


def refused(c: Any, value: str) -> bool:
    try:
        c.authenticator.authenticate(value)
    except NotAuthenticated:
        return True
    return False


def test_deleting_the_new_value_takes_the_old_one_along(c):
    # Given a token rotated with a 10-minute overlap: both values work
    old, new = rotated(c, "viewer@demo")
    assert not refused(c, old.value) and not refused(c, new.value)
    # When its owner deletes the new value (say it leaked)
    c.tokens.delete(session(c, "viewer@demo"), new.token.id)
    # Then the old value is refused too, not only after the overlap
    assert refused(c, new.value) and refused(c, old.value)


def test_deleting_the_old_value_leaves_the_new_one(c):
    # Given the same rotation; When the owner deletes the old row (the pipeline switched)
    old, new = rotated(c, "viewer@demo")
    c.tokens.delete(session(c, "viewer@demo"), old.token.id)
    # Then the new value works on, as the README says
    assert refused(c, old.value) and not refused(c, new.value)


@pytest.mark.parametrize("which", ["new", "old"])
def test_an_admin_revoking_either_value_of_a_one_tenant_owner_stops_both(c, which):
    # Given a rotation of viewer@demo (a member of demo only: revoking deletes)
    old, new = rotated(c, "viewer@demo")
    target = new.token.id if which == "new" else old.token.id
    # When an admin of demo revokes one of the two values
    c.admin_tokens.revoke_token(session(c, "admin@demo"), target, None)
    # Then both are refused, as they are when the owner belongs elsewhere too (a block)
    assert refused(c, old.value) and refused(c, new.value)


def test_the_old_value_mints_nothing_that_outlives_its_overlap(c):
    # Given a token rotated with a 60-second overlap
    old, new = rotated(c, "member@demo", overlap=60)
    # When the old value asks for a 29-day token during the overlap
    with pytest.raises(InvalidInput) as longer:
        c.tokens.create(acting(c, old.value), NewToken("child", expires_in_days=29))
    # Then it is refused, naming the field
    assert longer.value.field == "expires_in_days"
    # And a token asked for without an expiry ends with the overlap, then is refused
    default = c.tokens.create(acting(c, old.value), NewToken("child-default"))
    assert default.token.expires_at == new.old.valid_until
    c.clock.advance(seconds=61)
    assert refused(c, default.value) and refused(c, old.value)


def test_an_overlap_never_outlasts_the_token(c):
    # Given a token that expires in a minute, rotated with an hour's overlap
    soon = c.clock.now() + timedelta(minutes=1)
    old = c.tokens.create(session(c, "member@demo"), NewToken("short", expiry_date=soon))
    new = c.tokens.rotate(acting(c, old.value), old.token.id, Rotation(overlap_seconds=3600))
    # Then the old value works until its own expiry, and says so
    assert new.old.valid_until == old.token.expires_at


@pytest.mark.parametrize("second_overlap", [0, 60])
def test_rotating_the_replacement_ends_the_older_overlap_too(c, second_overlap):
    # Given A rotated into B with a 10-minute overlap: A works
    a, b = rotated(c, "viewer@demo")
    assert not refused(c, a.value)
    # When B is rotated into C with a shorter overlap
    c_ = c.tokens.rotate(acting(c, b.value), b.token.id, Rotation(overlap_seconds=second_overlap))
    # Then A stops no later than B does, and C works
    assert not refused(c, c_.value)
    c.clock.advance(seconds=second_overlap + 1)
    assert refused(c, b.value) and refused(c, a.value)
