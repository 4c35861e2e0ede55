"""The daily expiry-notice job: notices to owners of tokens that expire soon, and events.

Run once a day on AWS (the `notices` function's schedule) and on demand on the local stack
(`POST /dev/jobs/expiry-notices`). It reads the tokens expiring in the next 8 UTC days from the
expiry-day index (a Query per day, no scan), writes each due notice at most once per token and
kind (a conditional write: a second run on the same day writes nothing), and publishes one
`Token Expiring` event per notice it wrote.
"""

from __future__ import annotations

from sculptops.domain import expiry_notices as rules
from sculptops.domain.expiry_notices import NoticeRun, OutboundEvent
from sculptops.ports import Clock, EventPublisher, NotificationStore, TokenLookup


class ExpiryNoticeService:
    def __init__(
        self,
        *,
        lookup: TokenLookup,
        notifications: NotificationStore,
        events: EventPublisher,
        clock: Clock,
    ) -> None:
        self._lookup = lookup
        self._notifications = notifications
        self._events = events
        self._clock = clock

    def run(self) -> NoticeRun:
        """Notify every owner whose token is due a notice now; say what was done."""
        now = self._clock.now()
        seen = written = already = 0
        outbound: list[OutboundEvent] = []
        for day in rules.days_to_query(now):
            for token in self._lookup.expiring_on(day):
                kind = rules.kind_for(token, now)
                if kind is None:
                    continue
                seen += 1
                notice = rules.notice(token, kind, now)
                if self._notifications.put(notice, once_key=rules.once_key(token, kind)):
                    written += 1
                    outbound.append(rules.expiring_event(token, kind))
                else:
                    already += 1
        published = self._events.publish(outbound) if outbound else 0
        return NoticeRun(
            tokens_seen=seen,
            notices_written=written,
            already_notified=already,
            events_published=published,
        )
