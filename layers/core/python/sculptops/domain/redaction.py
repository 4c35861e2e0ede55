"""What a credential looks like in text, to redact it (logs, error bodies) or refuse it (names,
labels): token values (also glued to other text, without their prefix, or split by invisible
characters), JWTs, digests, stream tickets, bearer values. Pure: the domain uses it (a user
agent kept in an audit event) and so does the logging filter (sculptops.observability)."""

from __future__ import annotations

import re

from sculptops.domain.token_format import token_spans, visible

_PATTERNS = [
    # Prefixed tokens (`ag_live_`, `ag_agent_`): a prefix is `word_` or `word_word_`
    # (domain.token_format) and the body 58 or 36 base62 characters; 20 is enough to redact a piece.
    # No `\b` on either side: `_` and letters such as `é` are word characters, so a token glued
    # to a name (`ansible_ag_live_...`) or followed by one (`..._`, `...é`) is still found.
    re.compile(r"(?<![0-9A-Za-z])[a-z][a-z0-9]*_[a-z0-9]+_[0-9A-Za-z]{20,}(?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])[a-z][a-z0-9]*_[0-9A-Za-z]{30,}(?![0-9A-Za-z])"),  # ids: 24
    # JWTs, and a JWT's header or header.payload alone (the payload names the user).
    re.compile(r"(?<![0-9A-Za-z])eyJ[0-9A-Za-z_-]{8,}(?:\.[0-9A-Za-z_-]*){0,2}"),
    re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{64}(?![0-9A-Za-z])"),  # SHA-256 digests
    re.compile(r"(?i)(bearer\s+)\S+"),
    # Stream tickets (domain.stream_ticket): `st_` + payload + `.` + MAC, or a piece of one.
    re.compile(r"(?<![0-9A-Za-z])st_[0-9A-Za-z_-]{16,}(?:\.[0-9A-Za-z_-]*)?"),
    re.compile(r"st_[0-9A-Za-z_-]{4,640}\.[0-9A-Za-z_-]{43}"),  # a whole one, glued to anything
    re.compile(r"(?i)([?&]ticket=)[^&\s\"']+"),  # a stream URL's ticket, whatever its shape
]


def _redact_bodies(text: str) -> str:
    """Token bodies with a valid checksum that the patterns cannot see: glued to letters on
    both sides, or without their prefix."""
    spans = token_spans(text)
    for start, end in reversed(spans):
        text = text[:start] + "[REDACTED]" + text[end:]
    return text


def scrub(text: str) -> str:
    """The text with every credential shape redacted. Invisible characters inside a run of word
    characters would hide a token from the patterns, not from a reader: they are dropped before
    looking, and from the answer when something was redacted."""
    seen = visible(text)
    cleaned = seen
    for pattern in _PATTERNS:
        cleaned = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[REDACTED]", cleaned)
    cleaned = _redact_bodies(cleaned)
    return text if cleaned == seen else cleaned  # nothing found: the text as it came


# What a caller must never leave where others read it (a name, a run's parameters): a whole
# credential that works, and nothing else (a name may well hold a git SHA, `bearer`, `st_louis`).
_SECRETS = [
    # A JWT: header and payload (base64url JSON, so both start `eyJ`), signature or not.
    re.compile(r"eyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}"),
    # A stream ticket (domain.stream_ticket): payload and MAC.
    re.compile(r"st_[0-9A-Za-z_-]{4,640}\.[0-9A-Za-z_-]{43}"),
]


def holds_credential(text: str) -> bool:
    """Whether the text holds a working credential: a token value with a valid checksum (any
    prefix or none, glued to other text, behind unseen characters or in fullwidth forms), a
    JWT, a stream ticket. Precise, for refusing input (`scrub` redacts more, for logs)."""
    seen = visible(text)
    return bool(token_spans(seen)) or any(p.search(seen) for p in _SECRETS)
