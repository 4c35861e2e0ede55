"""Logging set-up with a filter that scrubs anything shaped like a credential.

The code never logs a token value, digest or JWT on purpose; this filter is the second line, for
the day a library or a careless f-string does. It also escapes control characters, so that a
request path (Mangum logs each one) cannot forge a log line or drive a terminal.
"""

from __future__ import annotations

import logging
import re

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
    re.compile(r"(?i)([?&]ticket=)[^&\s\"']+"),  # a stream URL's ticket, whatever its shape
]


def scrub(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[REDACTED]", text)
    return text


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: what a request path
# or a header can carry into a log line to forge a line of its own or rewrite a terminal.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """The text with each control character written as `\\xNN` (`\\uNNNN` for U+2028/9)."""
    return _CONTROLS.sub(_escaped, text)


def holds_credential(text: str) -> bool:
    """Whether the text holds anything `scrub` would redact: a token value, a JWT (or a piece
    of one), a digest, a stream ticket, a bearer credential."""
    return any(pattern.search(text) for pattern in _PATTERNS)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = escape_controls(scrub(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text can carry request data: keep the type, drop the text.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure(level: str = "INFO") -> None:
    """Idempotent: install the redacting filter on the root logger's handlers."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
