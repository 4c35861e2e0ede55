"""Stream tickets: a signed, short-lived, read-only credential for one run's log stream.

A browser's `EventSource` cannot send `Authorization`, so `POST .../logs/stream-url` answers the
stream's URL with `?ticket=st_...`, like the signed log URLs of GitHub Actions. The ticket is an
HMAC-SHA256 over (tenant, execution id, subject, issue time, expiry), keyed with a key derived
from the token pepper under a label of its own (never the pepper itself), so it cannot be forged,
moved to another run or tenant, or stretched; it never outlives the credential that asked for
it. Nothing is stored: whatever else must hold (the user still exists and is still a member,
"revoke all" came before the ticket) is checked at use.

Format: `st_` + base64url(JSON [tenant, subject, issued, expiry]) + `.` + base64url(MAC), the
MAC over (tenant, execution id, subject, issued, expiry), times in epoch seconds. The `st_`
prefix and the dot keep it from ever looking like a token (`ag_live_...`) or a JWT.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sculptops.domain.errors import NotAuthenticated

PREFIX = "st_"
# Long enough for a run that a person is watching; short enough that a URL that leaked (a
# screenshot, a proxy log) is soon worthless. EventSource reconnects reuse the same URL.
TTL = timedelta(hours=1)
MAX_LENGTH = 600
_KEY_LABEL = b"sculptops stream-ticket key v1"
_MAC_LABEL = b"sculptops stream-ticket v1\n"
_FORMAT = re.compile(r"^st_([A-Za-z0-9_-]{4,500})\.([A-Za-z0-9_-]{43})$")


def derive_key(pepper: bytes) -> bytes:
    """The ticket key: HMAC of a fixed label under the pepper; the pepper itself signs nothing."""
    return hmac.new(pepper, _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class StreamTicket:
    value: str
    tenant: str
    subject: str
    issued_at: datetime
    expires_at: datetime


class StreamTickets:
    """Issues and verifies stream tickets with one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a stream-ticket key must be at least 16 bytes")
        self._key = key

    def _mac(self, tenant: str, execution_id: str, subject: str, issued: int, expiry: int) -> bytes:
        fields = [tenant, execution_id, subject, issued, expiry]
        message = json.dumps(fields, separators=(",", ":"))
        return hmac.new(self._key, _MAC_LABEL + message.encode("utf-8"), hashlib.sha256).digest()

    def issue(
        self,
        tenant: str,
        execution_id: str,
        subject: str,
        now: datetime,
        not_after: datetime | None = None,
    ) -> StreamTicket:
        """A ticket for `subject` to read the log stream of one run of one tenant, for TTL
        (or until `not_after`, the expiry of the credential that asks, when that is sooner)."""
        issued = int(now.timestamp())
        end = now + TTL if not_after is None else min(now + TTL, not_after)
        expiry = max(issued, int(end.timestamp()))
        payload = [tenant, subject, issued, expiry]
        encoded = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        mac = self._mac(tenant, execution_id, subject, issued, expiry)
        value = f"{PREFIX}{_b64(encoded)}.{_b64(mac)}"
        return StreamTicket(
            value,
            tenant,
            subject,
            datetime.fromtimestamp(issued, UTC),
            datetime.fromtimestamp(expiry, UTC),
        )

    def verify(self, value: str, execution_id: str, now: datetime) -> StreamTicket:
        """The ticket, if it was issued with this key for this run and has not expired.

        NotAuthenticated otherwise, for every kind of failure alike.
        """
        if len(value) > MAX_LENGTH:
            raise NotAuthenticated("malformed")
        m = _FORMAT.match(value)
        if m is None:
            raise NotAuthenticated("malformed")
        try:
            fields = json.loads(_unb64(m.group(1)).decode("utf-8"))
            mac = _unb64(m.group(2))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise NotAuthenticated("malformed") from None
        if not (
            isinstance(fields, list)
            and len(fields) == 4
            and all(isinstance(f, str) for f in fields[:2])
            and all(type(f) is int for f in fields[2:])
        ):
            raise NotAuthenticated("malformed")
        tenant, subject, issued, expiry = fields
        expected = self._mac(tenant, execution_id, subject, issued, expiry)
        if not hmac.compare_digest(expected, mac):
            raise NotAuthenticated("bad-ticket")
        expires_at = datetime.fromtimestamp(expiry, UTC)
        if now >= expires_at:
            raise NotAuthenticated("expired")
        return StreamTicket(value, tenant, subject, datetime.fromtimestamp(issued, UTC), expires_at)
