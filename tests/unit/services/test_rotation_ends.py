"""A rotated-away value never outlasts what replaced it, nor mints past its own end.

Found by an attacker of the token list: during an overlap, taking the new value away left the
old one working, and the old one could mint tokens that outlived the overlap.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sculptops.domain.errors import InvalidInput, NotAuthenticated, NotFound
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


def test_a_child_of_an_old_value_cannot_rotate_itself_past_the_overlap(c):
    # Given A rotated into B with a 20-second overlap, and Y minted by A's old value meanwhile
    a, b = rotated(c, "member@demo", overlap=20)
    y = c.tokens.create(acting(c, a.value), NewToken("child"))
    # When Y rotates itself with an empty body (the same lifetime again)
    c.clock.advance(seconds=10)
    y2 = c.tokens.rotate(acting(c, y.value), y.token.id, Rotation())
    # Then the new value ends with A's overlap too, and nothing of it works after
    assert y2.token.expires_at is not None and b.old.valid_until is not None
    assert y2.token.expires_at <= b.old.valid_until
    c.clock.advance(seconds=11)
    assert refused(c, y2.value)


def test_deleting_the_token_that_rotated_another_stops_both_of_its_values(c):
    # Given T, and A (a token of the same owner) rotated by T into B with an overlap
    member = session(c, "member@demo")
    t = c.tokens.create(member, NewToken("rotator", expires_in_days=60))
    a = c.tokens.create(member, NewToken("pipeline", expires_in_days=30))
    b = c.tokens.rotate(acting(c, t.value), a.token.id, Rotation(overlap_seconds=600))
    # When T is deleted (it counts as B's minter)
    c.tokens.delete(member, t.token.id)
    # Then B goes, and so does A, the value B replaced
    assert refused(c, b.value) and refused(c, a.value)


def test_a_rotation_does_not_bring_back_a_token_the_lifetime_policy_refuses(c):
    # Given a 30-day token, refused once demo's maximum is 7 days
    a = c.tokens.create(session(c, "viewer@demo"), NewToken("long", expires_in_days=30))
    c.token_policy.set_policy(session(c, "admin@demo"), False, 7, None)
    assert refused_in_demo(c, a.value)
    # When its owner rotates it with an overlap (their session may)
    c.tokens.rotate(
        session(c, "viewer@demo"), a.token.id, Rotation(overlap_seconds=600, expires_in_days=7)
    )
    # Then the old value is still refused: its own lifetime is what the policy measures
    assert refused_in_demo(c, a.value)


def refused_in_demo(c: Any, value: str) -> bool:
    try:
        acting(c, value, "demo")
    except NotAuthenticated:
        return True
    return False


def test_a_rotation_that_an_admins_revoke_overtakes_leaves_no_new_value(c, monkeypatch):
    # Given viewer@demo's token, whose rotation an admin's revoke overtakes: the revoke lists
    # the family and deletes the old token while the rotation's write is in flight
    a = c.tokens.create(session(c, "viewer@demo"), NewToken("pipeline", expires_in_days=30))
    write = c.token_ledger.rotate

    def overtaken(old: Any, new: Any, tenants: Any, event: Any) -> bool:
        committed = write(old, new, tenants, event)
        c.token_store.delete(c.token_store.get(old.digest))  # the revoke's delete lands now
        return committed

    monkeypatch.setattr(c.token_ledger, "rotate", overtaken)
    # When the rotation finishes
    with pytest.raises(NotFound):
        c.tokens.rotate(acting(c, a.value), a.token.id, Rotation(overlap_seconds=60))
    # Then no value of the family is left
    assert c.tokens.list(session(c, "viewer@demo"), None, 10).tokens == []
    assert refused(c, a.value)


def test_an_admins_revoke_looks_again_for_a_value_a_concurrent_rotation_made(c, monkeypatch):
    # Given viewer@demo's token, rotated by its owner while an admin's revoke is written
    a = c.tokens.create(session(c, "viewer@demo"), NewToken("pipeline", expires_in_days=30))
    owner = session(c, "viewer@demo")
    made: list[str] = []
    revoke = c.token_ledger.revoke

    def rotation_lands_first(*args: Any, **kw: Any) -> bool:
        if not made:  # the rotation commits between the revoke's look and its write
            made.append(c.tokens.rotate(owner, a.token.id, Rotation(overlap_seconds=60)).value)
        return revoke(*args, **kw)

    monkeypatch.setattr(c.token_ledger, "revoke", rotation_lands_first)
    # When the admin revokes the token
    c.admin_tokens.revoke_token(session(c, "admin@demo"), a.token.id, None)
    # Then the value the rotation made is refused too
    assert made and refused(c, made[0]) and refused(c, a.value)


def test_a_token_without_expiry_stays_outside_the_lifetime_policy_while_rotated(c):
    """A stored token without an expiry (made before every token had one) is refused by every
    tenant's lifetime policy; rotated away, its overlap end must not pass for its lifetime."""
    from dataclasses import replace

    old, _new = rotated(c, "member@demo")
    stored = c.token_store.get(old.token.digest)
    c.token_store.items[stored.digest] = replace(stored, expires_at=None)  # as a legacy item
    principal = c.authenticator.authenticate(old.value)  # within its overlap: a valid value
    assert principal.lifetime_ends is None and principal.expires_at is not None
    with pytest.raises(NotAuthenticated) as exc:
        c.authenticator.act_in(principal, "demo")
    assert exc.value.reason == "policy"
