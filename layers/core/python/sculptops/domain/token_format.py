"""The token value: prefix + random part (base62) + CRC32 of the random part (base62).

Like GitHub's formats: the prefix lets scanners find leaked tokens, and the checksum lets a
mistyped or made-up token be refused without a database read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# 30 base62 characters carry 30 * log2(62) ~ 178 bits, above the 160 the design asks for.
RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]*_([a-z0-9]+_)?$")
_BODY_RE = re.compile(rf"^[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}$")


def validate_prefix(prefix: str) -> str:
    """A prefix is lower-case letters and digits ending in an underscore, e.g. `ag_live_`."""
    if not _PREFIX_RE.fullmatch(prefix) or len(prefix) > 20:
        raise ValueError(f"token prefix {prefix!r} must look like 'ag_live_'")
    return prefix


def base62(number: int, width: int) -> str:
    chars = []
    while number:
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars)).rjust(width, "0")


def checksum(random_part: str) -> str:
    return base62(zlib.crc32(random_part.encode("ascii")), CHECKSUM_LENGTH)


def generate(prefix: str) -> str:
    """A new token value: `prefix` + 30 random base62 characters + 6-character checksum."""
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return f"{prefix}{random_part}{checksum(random_part)}"


def is_well_formed(value: str, prefix: str) -> bool:
    """True when the value has the prefix, the right length and alphabet, and a valid checksum."""
    if not value.startswith(prefix):
        return False
    body = value[len(prefix) :]
    if not _BODY_RE.fullmatch(body):
        return False
    random_part, check = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    return hmac.compare_digest(checksum(random_part), check)


_EMBEDDED_BODY_RE = re.compile(
    rf"_([0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}})(?![0-9A-Za-z])"
)


def contains_token(text: str) -> bool:
    """True when the text holds something shaped like a token of any prefix with a valid checksum.

    A random base62 run passes the CRC32 check once in 62**6 (about 5.7e10): no false alarms in
    practice, and no prefix needs to be known (agent and personal tokens, any configuration).
    """
    for match in _EMBEDDED_BODY_RE.finditer(text):
        body = match.group(1)
        if hmac.compare_digest(checksum(body[:RANDOM_LENGTH]), body[RANDOM_LENGTH:]):
            return True
    return False


class TokenHasher:
    """Digest of a token value: SHA-256, or HMAC-SHA256 when a pepper is configured."""

    def __init__(self, pepper: bytes | None = None) -> None:
        self._pepper = pepper or None

    def digest(self, value: str) -> str:
        data = value.encode("utf-8")
        if self._pepper is not None:
            return hmac.new(self._pepper, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    @staticmethod
    def same(a: str, b: str) -> bool:
        """Constant-time comparison of two digests."""
        return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
