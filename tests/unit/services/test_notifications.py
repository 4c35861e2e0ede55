"""NotificationService and the notification store's once-only write, on fakes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sculptops.domain import ids
from sculptops.domain.errors import Forbidden, InvalidInput
from sculptops.domain.governance import Notification
from tests.unit.services.governance_helpers import jwt


def _notice(c: Any, user_id: str, at_ms: int, text: str = "hello") -> Notification:
    now = c.clock.now() + timedelta(milliseconds=at_ms)
    return Notification(
        ids.sortable_id("ntf", int(now.timestamp() * 1000)), user_id, "t", now, text
    )


def test_each_user_reads_only_their_own_notices_newest_first(gov: Any) -> None:
    # Given three notices for member@demo and one for admin@demo
    c, _ = gov
    for i in range(3):
        c.notification_store.put(_notice(c, "member@demo", i, f"m{i}"))
    c.notification_store.put(_notice(c, "admin@demo", 5, "a"))
    # When member@demo pages through theirs two at a time
    member = jwt(c, "member@demo")
    first = c.notifications.notifications(member, None, 2)
    rest = c.notifications.notifications(member, first.next_cursor, 2)
    # Then newest first, theirs only, and the pages end
    assert [n.message for n in first.notifications + rest.notifications] == ["m2", "m1", "m0"]
    assert rest.next_cursor is None


def test_agents_have_no_notices_and_bad_paging_names_the_field(gov: Any) -> None:
    c, _ = gov
    admin = jwt(c, "admin@demo")
    token = c.agents.register(admin, "runner").token
    agent = c.authenticator.act_in(c.authenticator.authenticate(token), "demo")
    with pytest.raises(Forbidden):
        c.notifications.notifications(agent, None, 10)
    with pytest.raises(InvalidInput) as cursor:
        c.notifications.notifications(admin, "evt_nope", 10)
    assert cursor.value.field == "cursor"
    with pytest.raises(InvalidInput) as limit:
        c.notifications.notifications(admin, None, 101)
    assert limit.value.field == "limit"


def test_a_notice_with_a_once_key_is_written_once_per_user(gov: Any) -> None:
    # Given a notice written with a key
    c, _ = gov
    store = c.notification_store
    assert store.put(_notice(c, "member@demo", 0), once_key="tok_1#expiring")
    # When the same key is used again for that user, Then nothing more is written
    assert not store.put(_notice(c, "member@demo", 1), once_key="tok_1#expiring")
    # But another user, another key, or no key writes
    assert store.put(_notice(c, "admin@demo", 2), once_key="tok_1#expiring")
    assert store.put(_notice(c, "member@demo", 3), once_key="tok_1#expires_today")
    assert store.put(_notice(c, "member@demo", 4))
    assert len(store.list_for_user("member@demo", None, 10).notifications) == 3
