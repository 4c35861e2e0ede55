"""Creating, listing and deleting personal tokens: the rules on names, expiry and ceilings."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from sculptops.domain.errors import Forbidden, InvalidInput, NotFound
from sculptops.domain.identity import TokenPolicy
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.conftest import session


def _as_token_caller(c, value, tenant="active"):
    return c.authenticator.act_in(c.authenticator.authenticate(value), tenant)


def test_default_expiry_is_the_tenant_maximum(fake):
    created = fake.tokens.create(session(fake, "admin@demo"), NewToken(name="ci"))
    assert created.token.expires_at == fake.clock.now() + timedelta(days=366)


def test_expires_in_days_and_expiry_date(fake):
    caller = session(fake, "admin@demo")
    t = fake.tokens.create(caller, NewToken(name="a", expires_in_days=7)).token
    assert t.expires_at == fake.clock.now() + timedelta(days=7)
    when = fake.clock.now() + timedelta(days=30)
    assert fake.tokens.create(caller, NewToken(name="b", expiry_date=when)).token.expires_at == when
    d = (fake.clock.now() + timedelta(days=3)).date()
    t = fake.tokens.create(caller, NewToken(name="c", expiry_date=d)).token
    assert t.expires_at == datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (NewToken(name=""), "name"),
        (NewToken(name="   "), "name"),
        (NewToken(name="x" * 101), "name"),
        (NewToken(name="a", expires_in_days=0), "expires_in_days"),
        (NewToken(name="a", expires_in_days=367), "expires_in_days"),
        (NewToken(name="a", expiry_date=datetime(2020, 1, 1, tzinfo=UTC)), "expiry_date"),
        (NewToken(name="a", expiry_date=date(2030, 1, 1)), "expiry_date"),
        (
            NewToken(name="a", expires_in_days=3, expiry_date=datetime(2027, 1, 1, tzinfo=UTC)),
            "expiry_date",
        ),
    ],
)
def test_bad_input_names_the_field(fake, request_, field):
    with pytest.raises(InvalidInput) as exc:
        fake.tokens.create(session(fake, "admin@demo"), request_)
    assert exc.value.field == field
    assert not fake.token_store.items


def test_the_tenant_maximum_bounds_expiry(fake):
    fake.identity_store.put_tenant(
        replace(fake.identity_store.tenants["demo"], token_policy=TokenPolicy(max_days=30))
    )
    caller = session(fake, "admin@demo")
    assert fake.tokens.create(
        caller, NewToken(name="a")
    ).token.expires_at == fake.clock.now() + timedelta(days=30)
    with pytest.raises(InvalidInput):
        fake.tokens.create(caller, NewToken(name="a", expires_in_days=31))


def test_admins_only_policy(fake):
    fake.identity_store.put_tenant(
        replace(fake.identity_store.tenants["demo"], token_policy=TokenPolicy(admins_only=True))
    )
    with pytest.raises(Forbidden):
        fake.tokens.create(session(fake, "viewer@demo"), NewToken(name="a"))
    fake.tokens.create(session(fake, "admin@demo"), NewToken(name="a"))


def test_a_viewer_may_create_tokens_by_default(fake):
    fake.tokens.create(session(fake, "viewer@demo"), NewToken(name="a"))


def test_a_token_never_mints_a_token_that_outlives_it(fake):
    parent = fake.tokens.create(session(fake, "admin@demo"), NewToken(name="p", expires_in_days=2))
    caller = _as_token_caller(fake, parent.value)
    # Asked for longer: refused, naming the field.
    with pytest.raises(InvalidInput) as exc:
        fake.tokens.create(caller, NewToken(name="c", expires_in_days=30))
    assert exc.value.field == "expires_in_days"
    # Not asked: capped at the parent's expiry.
    child = fake.tokens.create(caller, NewToken(name="c"))
    assert child.token.expires_at == parent.token.expires_at
    assert child.token.created_by == parent.token.id


def test_a_token_never_mints_a_higher_ceiling(fake):
    parent = fake.tokens.create(
        session(fake, "admin@demo"), NewToken(name="p", ceiling=Role.MEMBER)
    )
    caller = _as_token_caller(fake, parent.value)
    with pytest.raises(InvalidInput) as exc:
        fake.tokens.create(caller, NewToken(name="c", ceiling=Role.ADMIN))
    assert exc.value.field == "ceiling"
    assert fake.tokens.create(caller, NewToken(name="c")).token.ceiling is Role.MEMBER
    low = fake.tokens.create(caller, NewToken(name="c", ceiling=Role.VIEWER))
    assert low.token.ceiling is Role.VIEWER


def test_list_is_newest_first_paginated_and_only_mine(fake):
    admin = session(fake, "admin@demo")
    for i in range(5):
        fake.tokens.create(admin, NewToken(name=f"t{i}"))
        fake.clock.advance(seconds=1)
    fake.tokens.create(session(fake, "viewer@demo"), NewToken(name="other"))
    page = fake.tokens.list(admin, None, 2)
    assert [t.name for t in page.tokens] == ["t4", "t3"]
    page2 = fake.tokens.list(admin, page.next_cursor, 2)
    assert [t.name for t in page2.tokens] == ["t2", "t1"]
    page3 = fake.tokens.list(admin, page2.next_cursor, 2)
    assert [t.name for t in page3.tokens] == ["t0"] and page3.next_cursor is None


@pytest.mark.parametrize(
    ("cursor", "limit", "field"),
    [("nope", 10, "cursor"), (None, 0, "limit"), (None, 1001, "limit")],
)
def test_list_validates_cursor_and_limit(fake, cursor, limit, field):
    with pytest.raises(InvalidInput) as exc:
        fake.tokens.list(session(fake, "admin@demo"), cursor, limit)
    assert exc.value.field == field


def test_delete_only_my_own_token(fake):
    mine = fake.tokens.create(session(fake, "admin@demo"), NewToken(name="a"))
    with pytest.raises(NotFound):
        fake.tokens.delete(session(fake, "viewer@demo"), mine.token.id)
    with pytest.raises(NotFound):
        fake.tokens.delete(session(fake, "admin@demo"), "tok_does_not_exist")
    fake.tokens.delete(session(fake, "admin@demo"), mine.token.id)
    with pytest.raises(NotFound):
        fake.tokens.delete(session(fake, "admin@demo"), mine.token.id)
