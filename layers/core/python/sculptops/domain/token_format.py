"""The token value: prefix + random part + owner key (personal tokens) + CRC32, all base62.

Like GitHub's formats: the prefix lets scanners find leaked tokens, and the checksum lets a
mistyped or made-up token be refused without a database read.

Two bodies are valid after the prefix:
- `random(30) owner(22) check(6)`: a personal token since the owner key was added. The owner key
  is `TokenHasher.owner_key(user_id)`, the key of the owner's user item, so that the authorizer
  reads the token, its owner and the request's tenant in one request. It is keyed with the
  pepper: without it nobody can tell whose key a value carries, or make the key of a guessed
  user id (which would tell, by timing, whether that user exists);
- `random(30) check(6)`: agent tokens, and personal tokens made before (their owner is read
  after the token, one round trip more).
The checksum covers everything between the prefix and itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib
from dataclasses import dataclass

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# 30 base62 characters carry 30 * log2(62) ~ 178 bits, above the 160 the design asks for.
RANDOM_LENGTH = 30
OWNER_KEY_LENGTH = 22  # 62**22 > 2**128: the first 128 bits of a SHA-256
CHECKSUM_LENGTH = 6
SHORT_BODY = RANDOM_LENGTH + CHECKSUM_LENGTH
LONG_BODY = RANDOM_LENGTH + OWNER_KEY_LENGTH + CHECKSUM_LENGTH
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]*_([a-z0-9]+_)?$")
_BODY_RE = re.compile(rf"^(?:[0-9A-Za-z]{{{LONG_BODY}}}|[0-9A-Za-z]{{{SHORT_BODY}}})$")
_OWNER_KEY_RE = re.compile(rf"^[0-9A-Za-z]{{{OWNER_KEY_LENGTH}}}$")
_OWNER_KEY_TAG = b"sculptops/user-key/v1\x00"


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


def checksum(checked_part: str) -> str:
    return base62(zlib.crc32(checked_part.encode("ascii")), CHECKSUM_LENGTH)


def generate(prefix: str, owner: str | None = None) -> str:
    """A new token value: `prefix` + 30 random base62 characters [+ the owner key] + 6-character
    checksum. `owner` is a `TokenHasher.owner_key(...)`; agent tokens have none."""
    if owner is not None and not _OWNER_KEY_RE.fullmatch(owner):
        raise ValueError("owner must be an owner key")
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    checked = random_part + (owner or "")
    return f"{prefix}{checked}{checksum(checked)}"


@dataclass(frozen=True)
class Parsed:
    """A well-formed value: `owner_key` is the owner's key it carries (None: a short body)."""

    owner_key: str | None


def parse(value: str, prefix: str) -> Parsed | None:
    """The value's parts when it has the prefix, a body of a valid length and alphabet, and a
    valid checksum; None otherwise. Reads nothing."""
    if not value.startswith(prefix):
        return None
    body = value[len(prefix) :]
    if not _BODY_RE.fullmatch(body):
        return None
    checked, check = body[:-CHECKSUM_LENGTH], body[-CHECKSUM_LENGTH:]
    if not hmac.compare_digest(checksum(checked), check):
        return None
    return Parsed(checked[RANDOM_LENGTH:] or None)


def is_well_formed(value: str, prefix: str) -> bool:
    """True when the value has the prefix, the right length and alphabet, and a valid checksum."""
    return parse(value, prefix) is not None


# Where a body may start: right after an underscore (a prefix's last character, whatever
# precedes it) or where a run of base62 characters starts (a body pasted without its prefix).
_BODY_START = re.compile(rf"(?:(?<=_)|(?<![0-9A-Za-z]))(?=[0-9A-Za-z]{{{SHORT_BODY}}})")
# Characters a reader does not see, or reads as another (fullwidth, mathematical digits), met
# between word characters: dropped or folded (NFKC) before looking, so that a soft hyphen, a
# zero-width joiner, a combining mark or a fullwidth digit does not hide a token from the check
# while a browser or a copy and paste would show it whole.
_NON_ASCII_INSIDE = re.compile(r"(?<=[0-9A-Za-z_])[^\x00-\x7f]+(?=[0-9A-Za-z_])")
_UNSEEN = frozenset({"Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Cc", "Co", "Cn"})


def _dropped(match: re.Match[str]) -> str:
    import unicodedata

    run = match.group()
    return "" if all(unicodedata.category(ch) in _UNSEEN for ch in run) else run


def visible(text: str) -> str:
    """The text as a reader would copy a token out of it: folded by NFKC where that changes
    anything, and without unseen characters between word characters. For looking only: what
    is stored or shown stays as it came."""
    if not text.isascii():
        import unicodedata

        # Unseen characters first (NFKC would compose a letter and a combining mark into one),
        # then the folding, then what the folding left unseen.
        text = _NON_ASCII_INSIDE.sub(_dropped, text)
        text = _NON_ASCII_INSIDE.sub(_dropped, unicodedata.normalize("NFKC", text))
    return text


def token_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds a token body (either length) with a valid checksum, whatever its
    prefix, whatever precedes or follows it: (start, end) pairs, in order, not overlapping.

    A random base62 run passes the CRC32 check once in 62**6 (about 5.7e10) per place looked
    at: no false alarms in practice, and no prefix needs to be known (agent and personal
    tokens, any configuration, a body pasted alone)."""
    spans: list[tuple[int, int]] = []
    after = 0
    for match in _BODY_START.finditer(text):
        start = match.start()
        if start < after:
            continue
        for length in (LONG_BODY, SHORT_BODY):
            body = text[start : start + length]
            if len(body) == length and _BODY_RE.fullmatch(body):
                checked, check = body[:-CHECKSUM_LENGTH], body[-CHECKSUM_LENGTH:]
                if hmac.compare_digest(checksum(checked), check):
                    spans.append((start, start + length))
                    after = start + length
                    break
    return spans


def contains_token(text: str) -> bool:
    """True when the text holds a token body with a valid checksum (`token_spans`), also once
    invisible characters inside it are dropped."""
    return bool(token_spans(text)) or bool(token_spans(visible(text)))


class TokenHasher:
    """Digest of a token value: SHA-256, or HMAC-SHA256 when a pepper is configured; and a
    user's owner key, keyed with the same pepper."""

    def __init__(self, pepper: bytes | None = None) -> None:
        self._pepper = pepper or None
        # A key of its own for owner keys, derived from the pepper (never the pepper itself).
        self._owner_secret = (
            hmac.new(self._pepper, _OWNER_KEY_TAG, hashlib.sha256).digest()
            if self._pepper is not None
            else None
        )

    def owner_key(self, user_id: str) -> str:
        """A user's fixed-length, opaque key: the first 128 bits of HMAC-SHA256 over the user id
        under a key derived from the pepper (SHA-256 with a tag of its own, without a pepper),
        in base62. The identity table keys the user's item by it and a personal token carries
        it: it changes with the pepper, as every token's digest does (`sculptops migrate
        user-keys` moves the users' items then)."""
        data = user_id.encode("utf-8")
        if self._owner_secret is not None:
            digest = hmac.new(self._owner_secret, data, hashlib.sha256).digest()
        else:
            digest = hashlib.sha256(_OWNER_KEY_TAG + data).digest()
        return base62(int.from_bytes(digest[:16], "big"), OWNER_KEY_LENGTH)

    def digest(self, value: str) -> str:
        data = value.encode("utf-8")
        if self._pepper is not None:
            return hmac.new(self._pepper, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    @staticmethod
    def same(a: str, b: str) -> bool:
        """Constant-time comparison of two digests."""
        return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
