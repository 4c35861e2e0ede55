"""Token lifecycle on fakes (issue 14): rotate with an overlap, reuse detection revoking the
whole rotation family, the token of the request (`self`), last use at most once a minute."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from sculptops.domain.governance import AuditType
from sculptops.domain.identity import RequestOrigin, TokenPolicy
from sculptops.domain.roles import Role
from sculptops.domain.rotation import IPS_KEPT, with_ip
from sculptops.services.rotation import Rotation
from sculptops.services.tokens import NewToken
from tests.conftest import session


def _auth(c, value, ip="192.0.2.10"):
    return c.authenticator.authenticate(value, RequestOrigin(source_ip=ip))


def _caller(c, value, tenant="active"):
    return c.authenticator.act_in(_auth(c, value), tenant)


def _works(c, value) -> bool:
    try:
        _auth(c, value)
    except NotAuthenticated:
        return False
    return True


def _events(c, type_):
    return [e for e in c.audit_log.events if e.type is type_]


@pytest.fixture
def jwt(fake):
    return session(fake, "admin@demo")


def test_rotate_with_an_overlap_then_reuse_revokes_the_family(fake, jwt):
    # Given a token rotated with a 5 s overlap
    old = fake.tokens.create(jwt, NewToken(name="ci", ceiling=Role.MEMBER, expires_in_days=30))
    fake.clock.advance(seconds=1)
    rotated = fake.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=5))
    # Then the new one has the same name and ceiling, and both values work during the overlap
    assert (rotated.token.name, rotated.token.ceiling) == ("ci", Role.MEMBER)
    assert rotated.token.family == old.token.id and rotated.old.superseded_by == rotated.token.id
    assert rotated.value != old.value
    fake.clock.advance(seconds=4)
    assert _works(fake, old.value) and _works(fake, rotated.value)
    # When the old one is presented once the overlap is over
    fake.clock.advance(seconds=1)
    assert not _works(fake, old.value)
    # Then the whole family is revoked: the new value fails too, items gone
    assert not _works(fake, rotated.value)
    assert fake.token_store.find("admin@demo", rotated.token.id) is None
    assert fake.token_store.find("admin@demo", old.token.id) is None
    # And the audit log says so in each of the owner's tenants, and the owner is told
    reuse = _events(fake, AuditType.TOKEN_REUSE_DETECTED)
    owner = fake.identity_store.get_user("admin@demo")
    # (one event per revoked token, in each tenant)
    assert sorted(e.tenant for e in reuse) == sorted(sorted(owner.memberships) * 2)
    assert reuse[0].origin.source_ip == "192.0.2.10"
    assert reuse[0].details["count"] == 2
    notices = [n for n in fake.notification_store.notices if n.type == "token.reuse_detected"]
    assert [n.user_id for n in notices] == ["admin@demo"]
    assert old.value not in notices[0].message and rotated.value not in notices[0].message
    assert len(_events(fake, AuditType.TOKEN_ROTATED)) == 1


def test_without_an_overlap_the_old_value_fails_at_once(fake, jwt):
    old = fake.tokens.create(jwt, NewToken(name="ci"))
    rotated = fake.tokens.rotate(jwt, old.token.id, Rotation())
    assert rotated.old.valid_until == fake.clock.now()
    assert not _works(fake, old.value)
    assert not _works(fake, rotated.value)  # presented again: reuse, as GitLab


def test_the_new_value_alone_keeps_working_and_rotates_again(fake, jwt):
    first = fake.tokens.create(jwt, NewToken(name="ci"))
    second = fake.tokens.rotate(jwt, first.token.id, Rotation(overlap_seconds=60))
    fake.clock.advance(minutes=5)
    assert _works(fake, second.value)
    third = fake.tokens.rotate(jwt, second.token.id, Rotation(overlap_seconds=0))
    assert third.token.family == first.token.id  # one family along the chain
    assert _works(fake, third.value)
    # The rotated-away tokens are not listed once their overlap is over
    listed = [t.id for t in fake.tokens.list(jwt, None, 100).tokens]
    assert listed == [third.token.id]


def test_rotating_a_rotated_away_token_is_a_conflict(fake, jwt):
    old = fake.tokens.create(jwt, NewToken(name="ci"))
    fake.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=60))
    with pytest.raises(Conflict):
        fake.tokens.rotate(jwt, old.token.id, Rotation())


def test_a_lost_race_writes_nothing_and_is_a_conflict(fake, jwt):
    # Given another rotation of the same token lands between the read and the write
    old = fake.tokens.create(jwt, NewToken(name="ci"))
    ledger = fake.token_ledger
    rotate = ledger.rotate

    def another_rotation_first(*args):
        ledger.rotate = rotate
        fake.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=60))
        return rotate(*args)

    ledger.rotate = another_rotation_first
    before = len(fake.token_store.items)
    with pytest.raises(Conflict):
        fake.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=60))
    assert len(fake.token_store.items) == before + 1  # only the winner's new token


def test_rotate_applies_the_tenant_policy(fake, jwt):
    tenant = fake.identity_store.get_tenant("demo")
    old = fake.tokens.create(jwt, NewToken(name="ci"))
    fake.identity_store.put_tenant(
        replace(tenant, token_policy=TokenPolicy(max_days=30, default_days=7))
    )
    with pytest.raises(InvalidInput) as exc:
        fake.tokens.rotate(jwt, old.token.id, Rotation(expires_in_days=31))
    assert exc.value.field == "expires_in_days"
    rotated = fake.tokens.rotate(jwt, old.token.id, Rotation())
    # An empty body: the old token's lifetime (366 days) again, cut to the policy's maximum
    assert rotated.token.expires_at == fake.clock.now() + timedelta(days=30)
    member = session(fake, "member@demo")
    mine = fake.tokens.create(member, NewToken(name="m"))
    fake.identity_store.put_tenant(replace(tenant, token_policy=TokenPolicy(admins_only=True)))
    with pytest.raises(Forbidden):
        fake.tokens.rotate(member, mine.token.id, Rotation())


@pytest.mark.parametrize("bad", [-1, 3601])
def test_the_overlap_is_bounded(fake, jwt, bad):
    old = fake.tokens.create(jwt, NewToken(name="ci"))
    with pytest.raises(InvalidInput) as exc:
        fake.tokens.rotate(jwt, old.token.id, Rotation(overlap_seconds=bad))
    assert exc.value.field == "overlap_seconds"


def test_a_token_rotates_only_what_its_ceiling_may_manage(fake, jwt):
    top = fake.tokens.create(jwt, NewToken(name="top"))
    viewer = fake.tokens.create(jwt, NewToken(name="v", ceiling=Role.VIEWER))
    as_viewer = _caller(fake, viewer.value)
    with pytest.raises(Forbidden):
        fake.tokens.rotate(as_viewer, top.token.id, Rotation())
    # It may rotate itself, and the new one outlives it
    rotated = fake.tokens.rotate(as_viewer, viewer.token.id, Rotation(overlap_seconds=10))
    assert rotated.token.ceiling is Role.VIEWER
    with pytest.raises(NotFound):
        fake.tokens.rotate(jwt, "tok_nothere", Rotation())


def test_a_minted_token_rotated_never_outlives_its_maker(fake, jwt):
    parent = fake.tokens.create(jwt, NewToken(name="p", expires_in_days=10))
    child = fake.tokens.create(_caller(fake, parent.value), NewToken(name="c"))
    rotated = fake.tokens.rotate(jwt, child.token.id, Rotation())
    assert rotated.token.expires_at == parent.token.expires_at
    assert rotated.token.created_by == parent.token.id
    with pytest.raises(InvalidInput):
        fake.tokens.rotate(jwt, rotated.token.id, Rotation(expires_in_days=20))


def test_self_shows_and_revokes_the_presenting_token(fake, jwt):
    made = fake.tokens.create(jwt, NewToken(name="me", ceiling=Role.MEMBER))
    as_token = _caller(fake, made.value)
    shown = fake.tokens.current(as_token)
    assert (shown.id, shown.name, shown.ceiling) == (made.token.id, "me", Role.MEMBER)
    assert shown.last_used_ips == ("192.0.2.10",)
    with pytest.raises(NotFound):
        fake.tokens.current(jwt)  # an access token is no personal token
    with pytest.raises(NotFound):
        fake.tokens.revoke_current(jwt)
    fake.tokens.revoke_current(as_token)
    assert not _works(fake, made.value)


def test_last_use_is_written_at_most_once_a_minute(fake, jwt):
    # Given 1000 requests, one every 0.3 s (five simulated minutes), from three addresses
    made = fake.tokens.create(jwt, NewToken(name="busy"))
    store = fake.token_store
    for i in range(1000):
        _auth(fake, made.value, ip=f"198.51.100.{i % 3}")
        fake.clock.advance(seconds=0.3)
    # Then at most one write per started minute
    assert store.writes <= 6
    assert store.writes / 1000 < 0.01
    stored = store.find("admin@demo", made.token.id)
    assert stored.last_used_at is not None
    assert len(set(stored.last_used_ips)) == len(stored.last_used_ips) <= IPS_KEPT


def test_the_five_most_recent_distinct_ips_newest_first():
    ips: tuple[str, ...] = ()
    for ip in ["a", "b", "c", "a", "d", "e", "f"]:
        ips = with_ip(ips, ip)
    assert ips == ("f", "e", "d", "a", "c")
    assert with_ip(ips, None) == ips


def test_a_lost_last_use_race_merges_a_new_ip_once(fake, jwt):
    # Given two requests read the token's last use at the same time; the first one writes
    made = fake.tokens.create(jwt, NewToken(name="race"))
    store = fake.token_store
    read = store.get(made.token.digest)
    store.record_use(read, fake.clock.now(), ("203.0.113.1",))
    # When the second one, from another address, writes over the same read
    assert fake.authenticator._use.record(read, fake.clock.now(), "203.0.113.2")
    # Then its IP is merged, nothing lost; and a third one from a known address writes nothing
    assert store.get(made.token.digest).last_used_ips == ("203.0.113.2", "203.0.113.1")
    writes = store.writes
    assert not fake.authenticator._use.record(read, fake.clock.now(), "203.0.113.1")
    assert store.writes == writes


def test_the_authorizer_records_api_gateways_source_ip_never_a_client_header(fake, jwt):
    import json
    from pathlib import Path

    from sculptops.aws.authorizer import authorize

    made = fake.tokens.create(jwt, NewToken(name="ip"))
    event = json.loads(Path("tests/events/authorizer_request.json").read_text())
    event["headers"] = {
        "Authorization": f"Bearer {made.value}",
        "X-Forwarded-For": "10.9.9.9",
    }
    event["multiValueHeaders"] = {}
    event.setdefault("requestContext", {})["identity"] = {"sourceIp": "192.0.2.44"}
    answer = authorize(fake.authenticator, event)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    stored = fake.token_store.get(made.token.digest)
    assert stored.last_used_ips == ("192.0.2.44",)
