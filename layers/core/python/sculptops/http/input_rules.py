"""The edge's rules for what a request may hold, as pure functions of its bytes.

`sculptops.http.body.InputGuard` applies them to every request before the app parses it; the
local gateway applies the query rules to the events it builds. A refusal is `Refused`: a status,
the field it concerns and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from itertools import accumulate
from typing import Any
from urllib.parse import unquote_to_bytes

Scope = MutableMapping[str, Any]

MAX_DEPTH = 32
_SEGMENT_MAX = 64  # a field path names keys as sent, clipped: never a whole pasted value

# A JSON string, or what is left of an unterminated one: always matches from a quote, so the
# scan is linear whatever the input.
_STRING = re.compile(r'"(?:[^"\\]|\\[\s\S])*"?')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_KEY_CONTROL = re.compile("[\x00-\x1f\x7f]")


class Refused(Exception):
    """Input refused at the edge: a status, the field it concerns and why."""

    def __init__(self, status: int, field: str, message: str, where: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
        self.where = where


class _Object(dict[str, Any]):
    """A parsed JSON object that remembers the first key it was given twice."""

    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj and obj.duplicate is None:
            obj.duplicate = key
        obj[key] = value
    return obj


class _Constant:
    """What the parser makes of NaN, Infinity and -Infinity: refused by the walk, with a path."""

    def __init__(self, name: str) -> None:
        self.name = name


def json_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """Deepest bracket nesting outside strings; cheap when there are few brackets."""
    opening = text.count("[") + text.count("{")
    if opening <= limit:
        return opening  # an upper bound, within the limit: no need to look closer
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def _segment(key: str) -> str:
    clean = key if key.isprintable() and not _BAD_TEXT.search(key) else ascii(key)[1:-1]
    return clean if len(clean) <= _SEGMENT_MAX else clean[: _SEGMENT_MAX - 1] + "…"


def _path(parts: list[str]) -> str:
    return ".".join(parts) or "body"


def _text_problem(value: str) -> str | None:
    bad = _BAD_TEXT.search(value)
    if bad is None:
        return None
    if bad.group() == "\x00":
        return "must not contain NUL (\\u0000)"
    return "is not text: it contains a lone UTF-16 surrogate"


def _walk(value: Any, parts: list[str]) -> None:
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem:
            raise Refused(422, _path(parts), problem)
    elif isinstance(value, dict):
        duplicate = getattr(value, "duplicate", None)
        if duplicate is not None:  # named as any key is: escaped and clipped by _segment
            raise Refused(422, _path([*parts, _segment(duplicate)]), "is given more than once")
        for key, item in value.items():
            where = [*parts, _segment(key)]
            problem = _text_problem(key)
            if problem:
                raise Refused(422, _path(where), f"key {problem}")
            if _KEY_CONTROL.search(key):
                raise Refused(422, _path(where), "key must not contain control characters")
            _walk(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, [*parts, str(i)])
    elif isinstance(value, _Constant):
        raise Refused(422, _path(parts), f"{value.name} is not a JSON number")


def check_json(body: bytes) -> None:
    """Raise Refused for a JSON body that breaks a rule; invalid syntax passes (the app decides)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(422, "body", "the body is not valid UTF-8") from None
    if json_depth(text) > MAX_DEPTH:
        raise Refused(422, "body", f"nested deeper than {MAX_DEPTH} levels")
    constants: list[str] = []

    def constant(name: str) -> _Constant:
        constants.append(name)
        return _Constant(name)

    duplicates = False

    def pairs(items: list[tuple[str, Any]]) -> _Object:
        nonlocal duplicates
        obj = _object(items)
        duplicates = duplicates or obj.duplicate is not None
        return obj

    try:
        parsed = json.loads(text, parse_constant=constant, object_pairs_hook=pairs)
    except ValueError:
        return
    # Without a backslash there is no escape, so no NUL, surrogate or control character.
    if constants or duplicates or "\\" in text or "\x7f" in text:
        _walk(parsed, [])


def check_target(scope: Scope) -> None:
    """The path must be text (else 404); the query string UTF-8 text and headers without NUL."""
    path = scope.get("path", "")
    if _BAD_TEXT.search(path):
        raise Refused(404, "path", "Not Found", where="path")
    for name, value in scope.get("headers") or []:
        if b"\x00" in value:
            header = _segment(name.decode("latin-1"))
            raise Refused(422, header, "must not contain NUL (\\u0000)", "header")
    query = scope.get("query_string", b"")
    if query and (b"%" in query or b"\x00" in query):
        for field, text in decode_query(query):
            if "\x00" in field:
                raise Refused(422, "query", "a parameter name contains NUL", "query")
            if "\x00" in text:
                raise Refused(422, _segment(field), "must not contain NUL (\\u0000)", "query")


def decode_query(query: bytes) -> list[tuple[str, str]]:
    """The parameters of a raw query string as text, in order, blank values kept.

    Like `parse_qsl(..., keep_blank_values=True)` but strict: a parameter that is not UTF-8
    once percent-decoded (`%FF`, a lone surrogate `%ED%A0%80`, overlong `%C0%80`) is Refused
    naming it, never replaced with U+FFFD. A `%` not followed by two hex digits is not an
    escape and stays literal text, as browsers and parse_qsl leave it.
    """
    items: list[tuple[str, str]] = []
    for pair in query.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        try:
            field = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(422, "query", "a parameter name is not UTF-8", "query") from None
        try:
            text = unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(422, _segment(field), "is not valid UTF-8", "query") from None
        items.append((field, text))
    return items
