"""Stream tickets: a signed, short-lived, read-only credential for one run's log stream.

A browser's `EventSource` cannot send `Authorization`, so `POST .../logs/stream-url` answers the
stream's URL with `?ticket=st_...`, like the signed log URLs of GitHub Actions. The ticket is an
HMAC-SHA256, keyed with a key derived from the token pepper under a label of its own (never the
pepper itself), so it cannot be forged, moved to another run or tenant, or stretched; it never
outlives the credential that asked for it, and it names that credential (its kind, and a
personal token's id) so that its use ends when that token is deleted or revoked. Nothing is
stored: whatever else must hold (the token still exists, the user still exists and is still a
member, "revoke all" came before the ticket) is checked at use (services.auth).

Format: `st_` + P + `.` + base64url(MAC), where P is base64url (unpadded) of the canonical JSON
`[tenant, subject, issued, expiry, credential kind, credential id]` (no spaces, ASCII only;
times in epoch seconds; the id is "" for an OIDC access token). The MAC is over the run's id and
P exactly as received, checked before P is decoded; a P that decodes to anything but the
canonical encoding of its fields is refused, so one ticket has exactly one spelling. The `st_`
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
from sculptops.domain.identity import CredentialKind

PREFIX = "st_"
# Long enough for a run that a person is watching; short enough that a URL that leaked (a
# screenshot, a proxy log) is soon worthless. EventSource reconnects reuse the same URL.
TTL = timedelta(hours=1)
# Room for a subject of about 360 characters (an OIDC `sub` is usually far shorter).
MAX_LENGTH = 700
_KEY_LABEL = b"sculptops stream-ticket key v1"
# v2: the MAC covers the payload's exact bytes and the payload names the credential.
_MAC_LABEL = b"sculptops stream-ticket v2\n"
_LATEST = 2**33  # epoch seconds, in the year 2242: any time datetime can hold
_FORMAT = re.compile(r"^st_([A-Za-z0-9_-]{4,640})\.([A-Za-z0-9_-]{43})$")
# The credentials that may ask for a ticket: a personal token (named by id) or an access token.
_KINDS = {
    CredentialKind.TOKEN.value: CredentialKind.TOKEN,
    CredentialKind.JWT.value: CredentialKind.JWT,
}


def derive_key(pepper: bytes) -> bytes:
    """The ticket key: HMAC of a fixed label under the pepper; the pepper itself signs nothing."""
    return hmac.new(pepper, _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(fields: list[str | int]) -> bytes:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii")


@dataclass(frozen=True)
class StreamTicket:
    value: str
    tenant: str
    subject: str
    issued_at: datetime
    expires_at: datetime
    credential: CredentialKind  # the kind of credential that asked for it: TOKEN or JWT
    credential_id: str | None  # that personal token's id; None for an access token


class StreamTickets:
    """Issues and verifies stream tickets with one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a stream-ticket key must be at least 16 bytes")
        self._key = key

    def _mac(self, execution_id: str, payload: str) -> str:
        # JSON keeps the two apart whatever the run id holds; the payload is base64url text.
        message = json.dumps([execution_id, payload], separators=(",", ":"), ensure_ascii=True)
        mac = hmac.new(self._key, _MAC_LABEL + message.encode("ascii"), hashlib.sha256)
        return _b64(mac.digest())

    def issue(
        self,
        tenant: str,
        execution_id: str,
        subject: str,
        now: datetime,
        not_after: datetime | None = None,
        *,
        credential: CredentialKind,
        credential_id: str | None,
    ) -> StreamTicket:
        """A ticket for `subject` to read the log stream of one run of one tenant, for TTL
        (or until `not_after`, the expiry of the credential that asks, when that is sooner).

        `credential` is the kind of credential that asks: a personal token (with its id, which
        the ticket names, so that deleting the token ends it) or an OIDC access token (no id).
        """
        if credential is CredentialKind.TOKEN and not credential_id:
            raise ValueError("a ticket asked for by a token names that token's id")
        if credential is CredentialKind.JWT and credential_id:
            raise ValueError("an access token has no id to name")
        if credential.value not in _KINDS:
            raise ValueError(f"a {credential.value} credential cannot ask for a ticket")
        issued = int(now.timestamp())
        end = now + TTL if not_after is None else min(now + TTL, not_after)
        expiry = max(issued, int(end.timestamp()))
        fields: list[str | int] = [tenant, subject, issued, expiry, credential.value]
        fields.append(credential_id or "")
        payload = _b64(_canonical(fields))
        value = f"{PREFIX}{payload}.{self._mac(execution_id, payload)}"
        return StreamTicket(
            value,
            tenant,
            subject,
            datetime.fromtimestamp(issued, UTC),
            datetime.fromtimestamp(expiry, UTC),
            credential,
            credential_id or None,
        )

    def verify(self, value: str, execution_id: str, now: datetime) -> StreamTicket:
        """The ticket, if it was issued with this key for this run and has not expired.

        The MAC is checked over the payload exactly as received, before it is decoded; a payload
        that is not the canonical encoding of its fields is refused. NotAuthenticated for every
        kind of failure alike.
        """
        if len(value) > MAX_LENGTH:
            raise NotAuthenticated("malformed")
        m = _FORMAT.fullmatch(value)
        if m is None:
            raise NotAuthenticated("malformed")
        payload, mac = m.group(1), m.group(2)
        # Text against text: a MAC spelled another way (its last character's unused bits) fails.
        if not hmac.compare_digest(self._mac(execution_id, payload).encode(), mac.encode()):
            raise NotAuthenticated("bad-ticket")
        try:
            raw = _unb64(payload)
            fields = json.loads(raw.decode("ascii"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise NotAuthenticated("malformed") from None
        if not (
            isinstance(fields, list)
            and len(fields) == 6
            and all(isinstance(f, str) for f in (*fields[:2], *fields[4:]))
            and all(type(f) is int for f in fields[2:4])
            and 0 <= fields[2] <= fields[3] < _LATEST
            and fields[4] in _KINDS
            and _canonical(fields) == raw
            and _b64(raw) == payload
        ):
            raise NotAuthenticated("malformed")
        tenant, subject, issued, expiry, kind, credential_id = fields
        credential = _KINDS[kind]
        if (credential is CredentialKind.TOKEN) != bool(credential_id):
            raise NotAuthenticated("malformed")
        expires_at = datetime.fromtimestamp(expiry, UTC)
        if now >= expires_at:
            raise NotAuthenticated("expired")
        return StreamTicket(
            value,
            tenant,
            subject,
            datetime.fromtimestamp(issued, UTC),
            expires_at,
            credential,
            credential_id or None,
        )
