"""Replays of what a black-box attacker found in token rotation, reuse detection and admin
blocks (issue 14), on fakes: each fails without its fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sculptops.domain.errors import InvalidInput, NotAuthenticated
from sculptops.domain.governance import AuditType, TokenState
from sculptops.domain.identity import RequestOrigin
from sculptops.domain.tokens import LINEAGE_MAX
from sculptops.http.routers.tokens import routers
from sculptops.services.rotation import Rotation
from sculptops.services.tokens import NewToken
from tests.conftest import session

MEMBER = "member@demo"  # member of demo, viewer of acme


def _auth(c, value):
    return c.authenticator.authenticate(value, RequestOrigin(source_ip="192.0.2.10"))


def _caller(c, value, tenant="demo"):
    return c.authenticator.act_in(_auth(c, value), tenant)


def _works(c, value, tenant="demo") -> bool:
    try:
        _caller(c, value, tenant)
    except NotAuthenticated:
        return False
    return True


def _mint(c, credential, name, days=30):
    return c.tokens.create(credential, NewToken(name=name, expires_in_days=days))


def test_a_token_that_rotates_another_takes_the_new_one_along_when_deleted(fake) -> None:
    jwt = session(fake, MEMBER, "demo")
    x = _mint(fake, jwt, "stolen", days=3)
    y = _mint(fake, jwt, "long", days=300)
    # The stolen short token rotates the long one: the new value is capped at its expiry
    y2 = fake.tokens.rotate(_caller(fake, x.value), y.token.id, Rotation())
    assert y2.token.expires_at == x.token.expires_at
    assert y2.token.family == y.token.id
    # When the owner deletes the stolen token
    fake.tokens.delete(jwt, x.token.id)
    # Then the token it made by rotation is gone too: it cannot rotate itself to 366 days
    assert not _works(fake, y2.value)
    assert fake.token_store.find(MEMBER, y2.token.id) is None


def test_reuse_detection_revokes_what_the_family_minted(fake) -> None:
    jwt = session(fake, MEMBER, "demo")
    a = _mint(fake, jwt, "ci")
    child = _mint(fake, _caller(fake, a.value), "child")
    grandchild = _mint(fake, _caller(fake, child.value), "grandchild")
    a2 = fake.tokens.rotate(jwt, a.token.id, Rotation(overlap_seconds=5))
    # (what the old value mints in its overlap ends with the overlap: no expiry asked for)
    during = fake.tokens.create(_caller(fake, a.value), NewToken(name="minted-during-overlap"))
    assert during.token.expires_at == a2.old.valid_until
    after = _mint(fake, _caller(fake, a2.value), "minted-by-new")
    fake.clock.advance(seconds=6)
    # When the rotated-away value is presented after its overlap
    assert not _works(fake, a.value)
    # Then the family and everything any of it minted, transitively, is revoked
    doomed = [a2, child, grandchild, during, after]
    assert [d.token.name for d in doomed if _works(fake, d.value)] == []
    events = [e for e in fake.audit_log.events if e.type is AuditType.TOKEN_REUSE_DETECTED]
    in_demo = sorted(e.target_id for e in events if e.tenant == "demo")
    assert in_demo == sorted(t.token.id for t in [a, *doomed])


def test_an_admin_block_reaches_every_generation_and_rotated_successors(fake) -> None:
    jwt = session(fake, MEMBER, "demo")
    admin = session(fake, "admin@demo", "demo")
    top = _mint(fake, jwt, "top")
    child = _mint(fake, _caller(fake, top.value), "child")
    grandchild = _mint(fake, _caller(fake, child.value), "grandchild")
    # When an admin of demo blocks the top token (its owner is in acme too: blocked in demo)
    fake.admin_tokens.revoke_token(admin, top.token.id, "leaked")
    # And the owner, in acme, rotates the top token and mints under its successor
    acme = session(fake, MEMBER, "acme")
    top2 = fake.tokens.rotate(acme, top.token.id, Rotation())
    late = _mint(fake, _caller(fake, top2.value, "acme"), "late-child")
    late_grandchild = _mint(fake, _caller(fake, late.value, "acme"), "late-grandchild")
    # Then none of them works in demo, every one still works in acme
    everyone = [grandchild, top2, late, late_grandchild]
    assert [t.token.name for t in everyone if _works(fake, t.value, "demo")] == []
    assert [t.token.name for t in everyone if not _works(fake, t.value, "acme")] == []


def test_minting_deeper_than_the_lineage_bound_is_refused(fake) -> None:
    credential = session(fake, MEMBER, "demo")
    for level in range(LINEAGE_MAX + 1):
        credential = _caller(fake, _mint(fake, credential, f"level-{level}").value)
    with pytest.raises(InvalidInput) as refused:
        _mint(fake, credential, "too-deep")
    assert refused.value.field == "lineage"


def test_a_short_token_cannot_extend_its_own_life_by_rotating(fake) -> None:
    jwt = session(fake, MEMBER, "demo")
    short = _mint(fake, jwt, "short", days=2)
    # An explicit longer lifetime from the token itself is refused, naming the field
    for asked, field in [
        (Rotation(expires_in_days=366), "expires_in_days"),
        (Rotation(expiry_date=fake.clock.now() + timedelta(days=30)), "expiry_date"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            fake.tokens.rotate(_caller(fake, short.value), short.token.id, asked)
        assert refused.value.field == field
    # An empty body gives the same lifetime again, not the tenant's default
    fake.clock.advance(seconds=10)
    again = fake.tokens.rotate(_caller(fake, short.value), short.token.id, Rotation())
    assert again.token.expires_at - again.token.created_at == timedelta(days=2)
    # A session may choose any expiry within the policy
    third = fake.tokens.rotate(jwt, again.token.id, Rotation(expires_in_days=300))
    assert third.token.expires_at - third.token.created_at == timedelta(days=300)


def test_the_admins_list_shows_a_rotated_token_as_rotated_then_omits_it(fake) -> None:
    jwt = session(fake, MEMBER, "demo")
    admin = session(fake, "admin@demo", "demo")
    old = _mint(fake, jwt, "ci")
    new = fake.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=60))

    def states():
        page = fake.admin_tokens.tenant_tokens(admin, MEMBER, None, None, 100)
        return {t.token.id: t.state for t in page.tokens}

    assert states() == {old.token.id: TokenState.ROTATED, new.token.id: TokenState.ACTIVE}
    fake.clock.advance(seconds=61)
    assert states() == {new.token.id: TokenState.ACTIVE}


def test_delete_self_accepts_a_trailing_slash() -> None:
    for router in routers:
        paths = {
            (r.path.rsplit("/tokens", 1)[-1], m)
            for r in router.routes
            for m in getattr(r, "methods", ())
        }
        assert ("/self/", "DELETE") in paths and ("/self/", "GET") in paths


def test_a_token_deleted_while_it_rotates_another_takes_the_new_one_along(
    fake, monkeypatch
) -> None:
    jwt = session(fake, MEMBER, "demo")
    x = _mint(fake, jwt, "stolen", days=3)
    y = _mint(fake, jwt, "long", days=300)
    rotate = fake.token_ledger.rotate

    def owner_deletes_x_meanwhile(*args, **kwargs):
        # The owner's delete lands after the rotation read X and before its write: the cascade
        # looks for X's descendants before the new token exists.
        fake.tokens.delete(jwt, x.token.id)
        return rotate(*args, **kwargs)

    monkeypatch.setattr(fake.token_ledger, "rotate", owner_deletes_x_meanwhile)
    # When the stolen token rotates the long one while the owner deletes it
    with pytest.raises(NotAuthenticated):
        fake.tokens.rotate(_caller(fake, x.value), y.token.id, Rotation())
    # Then no token made by that rotation survives
    names = [t.name for t in fake.token_store.items.values() if t.owner == MEMBER]
    survivors = [
        t for t in fake.token_store.items.values() if t.owner == MEMBER and t.family == y.token.id
    ]
    assert all(t.id == y.token.id for t in survivors), names
