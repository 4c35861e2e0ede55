"""AuditService on fakes: the tenant's audit log for its admins, newest first, paginated, and
never a token value, digest or JWT in an event or a notice."""

from __future__ import annotations

from typing import Any

import pytest

from sculptops.domain.errors import Forbidden, InvalidInput
from sculptops.domain.governance import AuditType
from sculptops.services.tokens import NewToken
from tests.conftest import SETTINGS
from tests.unit.services.governance_helpers import events, jwt, notices, use


def test_only_admins_read_the_log(gov: Any) -> None:
    c, _ = gov
    with pytest.raises(Forbidden):
        c.audit.audit_events(jwt(c, "member@demo"), None, 10, None, None)


def test_token_lifecycle_events_and_pagination(gov: Any) -> None:
    c, clock = gov
    member = jwt(c, "member@demo")
    made = []
    for i in range(5):
        clock.advance(seconds=1)
        made.append(c.tokens.create(member, NewToken(name=f"t{i}", expires_in_days=1)).token)
    clock.advance(seconds=1)
    c.tokens.delete(member, made[0].id)
    clock.advance(seconds=1)
    c.tokens.revoke_all(member)
    admin = jwt(c, "admin@demo")
    seen, cursor = [], None
    for _ in range(10):
        page = c.audit.audit_events(admin, cursor, 2, None, None)
        seen.extend(page.events)
        cursor = page.next_cursor
        if cursor is None:
            break
    types = [e.type for e in seen]
    assert types[0] is AuditType.TOKENS_REVOKED_ALL
    assert types.count(AuditType.TOKEN_CREATED) == 5 and AuditType.TOKEN_DELETED in types
    assert [e.id for e in seen] == sorted((e.id for e in seen), reverse=True)
    # Filtered by type and actor; other tenants' events are not listed.
    deleted = c.audit.audit_events(admin, None, 10, AuditType.TOKEN_DELETED, "member@demo")
    assert [e.target_id for e in deleted.events] == [made[0].id]
    assert c.audit.audit_events(admin, None, 10, None, "admin@demo").events == []
    acme = c.audit.audit_events(jwt(c, "admin@acme", "acme"), None, 10, None, None)
    assert acme.events == []
    with pytest.raises(InvalidInput) as bad:
        c.audit.audit_events(admin, "garbage", 2, None, None)
    assert bad.value.field == "cursor"
    with pytest.raises(InvalidInput) as limit:
        c.audit.audit_events(admin, None, 0, None, None)
    assert limit.value.field == "limit"


def test_no_event_or_notice_holds_a_value_a_digest_or_a_jwt(gov: Any) -> None:
    from sculptops.domain.token_format import TokenHasher

    c, clock = gov
    jwt_value = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZW1iZXJAZGVtbyJ9.c2lnbmF0dXJl"
    c.authenticator._jwt.valid[jwt_value] = {"sub": "member@demo"}  # type: ignore[union-attr]
    member = c.authenticator.act_in(c.authenticator.authenticate(jwt_value), "demo")
    admin = jwt(c, "admin@demo")
    values = []
    for name in ("a", "b", "c"):
        clock.advance(seconds=1)
        values.append(c.tokens.create(member, NewToken(name=name, expires_in_days=30)))
    c.tokens.delete(use(c, values[0].value), values[1].token.id)
    c.admin_tokens.revoke_token(admin, values[2].token.id, "why")
    c.token_policy.set_policy(admin, False, 7, None)
    c.tokens.revoke_all(member)
    hasher = TokenHasher(SETTINGS.token_pepper)
    secrets = [v.value for v in values] + [hasher.digest(v.value) for v in values] + [jwt_value]
    written = repr(events(c)) + repr(notices(c))
    assert len(events(c)) >= 7 and notices(c)
    for secret in secrets:
        assert secret not in written
