"""Logging set-up with a filter that scrubs anything shaped like a credential.

The code never logs a token value, digest or JWT on purpose; this filter is the second line, for
the day a library or a careless f-string does. It also escapes control characters, so that a
request path (Mangum logs each one) cannot forge a log line or drive a terminal.
"""

from __future__ import annotations

import logging
import re

from sculptops.domain.redaction import holds_credential, scrub

__all__ = ["RedactingFilter", "configure", "escape_controls", "holds_credential", "scrub"]

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: what a request path
# or a header can carry into a log line to forge a line of its own or rewrite a terminal.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """The text with each control character written as `\\xNN` (`\\uNNNN` for U+2028/9)."""
    return _CONTROLS.sub(_escaped, text)


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
