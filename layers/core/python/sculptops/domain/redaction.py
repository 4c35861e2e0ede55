"""What a credential looks like in text, to redact it (logs, error bodies) or refuse it (names,
labels): token values (also glued to other text, without their prefix, or split by invisible
characters), JWTs, digests, stream tickets, bearer values. Pure: the domain uses it (a user
agent kept in an audit event) and so does the logging filter (sculptops.observability)."""

from __future__ import annotations

import re
from typing import Any

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


# What a caller must never leave where others read it (a name, a run's parameters, a playbook):
# a whole credential that works, and nothing else (a name may well hold a git SHA, `bearer`,
# `st_louis`). JWTs: `_jwt_spans`.
_SECRETS = [
    # A stream ticket (domain.stream_ticket): `st_` + base64url JSON list (`WyJ`) + `.` + MAC,
    # glued to anything on either side (its start is specific enough, its MAC 43 characters).
    re.compile(r"st_WyJ[0-9A-Za-z_-]{1,640}\.[0-9A-Za-z_-]{43}"),
    # A JWT without its header (payload and signature): the header is the same for every JWT
    # of an identity provider, so every user knows it. From the start of a run: linear.
    re.compile(r"(?<![0-9A-Za-z_-])eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{20,}"),
]
# In a run's log only: a token cut at the end of a line (a wrap the batch does not finish, as
# at the end of the agent's batch), its random part and owner key whole (52) and its checksum
# cut short, which anyone completes (CRC32 is public). Only at a line's end (trailing quotes,
# spaces, `|`, colour codes aside) and only a body of mixed case and digits, as a random one
# is: a git SHA, a hex digest or a name ending a path stays.
_CUT_TOKEN = re.compile(
    r"(?<![0-9A-Za-z])[a-z][a-z0-9]*_(?:[a-z0-9]+_)?"
    r"(?=[0-9A-Za-z]*[A-Z])(?=[0-9A-Za-z]*[a-z])(?=[0-9A-Za-z]*[0-9])[0-9A-Za-z]{52,57}"
    r"(?=(?:[\s\"'|,]|\x1b\[[0-9;]*m)*$)"
)
_TOKEN_SHAPES = [_CUT_TOKEN]
# A line break inside a word, as a hard wrap or a quoted-printable soft break (`=`) leaves it,
# or as JSON writes one (`\\n`: Ansible's output of a multi-line stdout).
_WRAPPED = re.compile(r"(?<=[0-9A-Za-z_.-])[ \t]*(?:=?\r?\n|\\r\\n|\\n)[ \t]*(?=[0-9A-Za-z_.-])")

CREDENTIAL_REFUSED = (
    "holds a credential (a SculptOps API token, a sign-in JWT or a stream ticket): every viewer "
    "of the tenant can read it; keep secrets on the agent host (e.g. Ansible Vault)"
)


# A JWT is found from each `.` followed by `eyJ` (between header and payload): the header is
# the last `eyJ` with 8+ base64url characters before that dot, in the run just before it; the
# payload is the run after it, and a signature the run after the next dot. Runs stop at dots,
# so every character is looked at a bounded number of times: linear time whatever the text
# (looking from every `eyJ` of a long run would take quadratic time). A JWT glued to what
# precedes it (`\\n<JWT>` in Ansible's JSON, `%20<JWT>`, `TOKEN_<JWT>`, `token.<JWT>`) or to
# another JWT is found as well.
_PAYLOAD_DOT = re.compile(r"\.(?=eyJ[0-9A-Za-z_-]{8})")
_B64URL = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")


def _run_end(text: str, i: int) -> int:
    while i < len(text) and text[i] in _B64URL:
        i += 1
    return i


def _jwt_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds a JWT (header and payload, signature or not), as (start, end) pairs;
    they may overlap (JWTs glued together): whoever masks them merges them."""
    spans: list[tuple[int, int]] = []
    for match in _PAYLOAD_DOT.finditer(text):
        dot = match.start()
        run = dot
        while run > 0 and text[run - 1] in _B64URL:
            run -= 1
        if dot - 8 - run < 3:
            continue  # no room for `eyJ` and 8 characters before the dot
        header = text.rfind("eyJ", run, dot - 8)
        if header == -1:
            continue
        end = _run_end(text, dot + 1)
        if end < len(text) - 1 and text[end] == "." and text[end + 1] in _B64URL:
            end = _run_end(text, end + 1)  # the signature
        spans.append((header, end))
    return spans


def _views(text: str) -> list[str]:
    """The text as it came, as a reader sees it (token_format.visible), and unwrapped."""
    seen = visible(text)
    views = [text] if seen == text else [text, seen]
    if "\n" in seen or "\\n" in seen:  # a line break, or JSON's `\\n`
        views.append(_WRAPPED.sub("", seen))
    return views


def _holds(view: str) -> bool:
    return bool(token_spans(view) or _jwt_spans(view) or any(p.search(view) for p in _SECRETS))


def holds_credential(text: str) -> bool:
    """Whether the text holds a working credential: a token value with a valid checksum (any
    prefix or none, glued to other text, behind unseen characters, in fullwidth forms, or
    hard-wrapped), a JWT, a stream ticket. Precise, for refusing input (`scrub` redacts more,
    for logs)."""
    return any(_holds(view) for view in _views(text))


def credential_at(value: Any, where: str) -> str | None:
    """Where in a JSON value (keys included) a string holds a credential: `where.key.0`; None
    when nowhere."""
    if isinstance(value, str):
        return where if holds_credential(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = credential_at(str(key), f"{where}.{key}") or credential_at(
                item, f"{where}.{key}"
            )
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = credential_at(item, f"{where}.{i}")
            if found:
                return found
    return None


def _log_spans(text: str) -> list[tuple[int, int]]:
    spans = token_spans(text) + _jwt_spans(text)
    for pattern in (*_SECRETS, *_TOKEN_SHAPES):
        spans += [m.span() for m in pattern.finditer(text)]
    return spans


def redact_credentials(text: str) -> str:
    """A run's log line with each credential replaced by `[REDACTED]` and nothing else touched
    (Ansible prints what a task was given; a checksum or `Bearer` stays); a token's shape is
    masked even with its checksum cut off."""
    others = _views(text)[1:]  # seen without unseen characters, or unwrapped
    if any(_holds(view) for view in others):
        return "[REDACTED]"  # a credential in a disguise or a wrap: the whole line
    spans = _log_spans(text)
    if not spans:
        return text  # every view looked at and nothing found: as it came
    out, end = [], 0
    for start, stop in sorted(spans):
        if start >= end:
            out.append(text[end:start] + "[REDACTED]")
            end = stop
        else:
            end = max(end, stop)
    redacted = "".join(out) + text[end:]
    if holds_credential(redacted):
        return "[REDACTED]"  # what masking left still holds one: the whole line
    return redacted


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EDGES = " \t\"'|,"


def redact_lines(lines: list[str]) -> list[str]:
    """A batch of a run's log lines, each masked (`redact_credentials`), and every line that a
    credential wrapped across lines touches written `[REDACTED]` whole (all of its pieces: the
    header of a JWT is public, and its payload can be guessed). Lines are joined without their
    colour codes, indentation, edge quotes and `|`, and only a whole credential (checksum,
    JWT, ticket) found across them counts, so ordinary lines that happen to join stay."""
    cores = [_ANSI.sub("", line).strip(_EDGES) for line in lines]
    joined = "".join(cores)
    starts, at = [], 0
    for core in cores:
        starts.append(at)
        at += len(core)
    spans = token_spans(joined) + _jwt_spans(joined)
    for pattern in _SECRETS:
        spans += [m.span() for m in pattern.finditer(joined)]
    hit: set[int] = set()
    for start, stop in spans:
        touched = [i for i, at in enumerate(starts) if at < stop and start < at + len(cores[i])]
        if len(touched) < 2:
            continue  # within one line, masking that line is enough
        for i in touched:
            covered = min(stop, starts[i] + len(cores[i])) - max(start, starts[i])
            # A piece of it; not a next line whose first word the join glued on (`PLAY`).
            if covered >= 8 or covered == len(cores[i]) > 0:
                hit.add(i)
    return ["[REDACTED]" if i in hit else redact_credentials(line) for i, line in enumerate(lines)]
