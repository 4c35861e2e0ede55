"""The edge's input checks (sculptops.http.body), driving the ASGI middleware directly: no sockets."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from typing import Any

import pytest

from sculptops.http.body import MAX_BODY_BYTES, MAX_DEPTH, InputGuard, json_depth

Message = dict[str, Any]


def run_async(coro: Any) -> None:
    """Run a coroutine on a loop of its own thread: the calling thread may have one running."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


class Inner:
    """The app behind the guard: records what it received."""

    def __init__(self) -> None:
        self.called = False
        self.body = b""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def call(
    body: bytes | list[bytes] = b"",
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
    path: str = "/api/v1/demo/executions",
) -> tuple[int, Any, Inner, int]:
    """Send one request through InputGuard; (status, JSON body, inner app, chunks read)."""
    chunks = body if isinstance(body, list) else [body]
    inner = Inner()
    sent: list[Message] = []
    read = 0

    async def receive() -> Message:
        nonlocal read
        if read >= len(chunks):
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": query,
        "headers": headers if headers is not None else [(b"content-type", b"application/json")],
    }
    run_async(InputGuard(inner)(scope, receive, send))
    status = sent[0]["status"]
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(payload), inner, read


def refused(body: bytes, **kw: Any) -> tuple[int, str, Any]:
    status, out, inner, _ = call(body, **kw)
    assert not inner.called, "a refused request must not reach the app"
    if status == 422:
        assert (
            out["message"]
            == f"Invalid request: {out['errors'][0]['field']}: " + out["errors"][0]["message"]
        )
        return status, out["errors"][0]["field"], out
    return status, "", out


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"extra_vars": {"a": "\\ud800"}}', "extra_vars.a"),
        (b'{"extraVars": {"a": "x\\udfffy"}}', "extraVars.a"),
        (b'{"hosts": [{"name": "h", "vars": {"x": "\\udc00"}}]}', "hosts.0.vars.x"),
        (b'{"tags": ["ok", "\\ud83d"]}', "tags.1"),
        (b'{"name": "a\\u0000b"}', "name"),
        (b'{"extra_vars": {"\\ud800": 1}}', "extra_vars.\\ud800"),
        (b'{"extra_vars": {"a\\u0000": 1}}', "extra_vars.a\\x00"),
        (b'{"extra_vars": {"a\\nb": 1}}', "extra_vars.a\\nb"),
        (b'{"extra_vars": {"a\x7fb": 1}}', "extra_vars.a\\x7fb"),
        (b'{"extra_vars": {"n": NaN}}', "extra_vars.n"),
        (b'{"extra_vars": {"n": [1, Infinity]}}', "extra_vars.n.1"),
        (b'{"extra_vars": {"n": -Infinity}}', "extra_vars.n"),
    ],
)
def test_a_string_that_is_not_text_or_a_number_that_is_not_json_is_refused_by_path(
    body: bytes, field: str
) -> None:
    status, got, out = refused(body)
    assert status == 422 and got == field
    assert out["errors"][0]["in"] == "body"


def test_valid_text_passes_byte_for_byte() -> None:
    # A surrogate pair is one character (U+1F600); controls are fine in values, not keys.
    body = b'{"extra_vars": {"smile": "\\ud83d\\ude00", "tab": "a\\tb", "esc": "\\u001b[0m"}}'
    status, _, inner, _ = call(body)
    assert status == 200 and inner.body == body


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 100_000])
def test_nesting_is_bounded_before_parsing(depth: int) -> None:
    status, field, out = refused(b"[" * depth + b"]" * depth)
    assert status == 422 and field == "body" and "nested deeper" in out["message"]


def test_nesting_at_the_bound_passes_and_brackets_in_strings_do_not_count() -> None:
    assert call(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)[0] == 200
    text = '{"line": "' + "[" * 1000 + '"}'
    assert json_depth(text) == 1
    assert call(text.encode())[0] == 200
    # An unterminated string swallows the rest: the scan stays linear.
    assert json_depth('"' + '\\"' * 100_000 + "[" * 40) == 0


def test_invalid_utf8_is_refused() -> None:
    status, field, _ = refused(b'{"name": "\xff\xfe"}')
    assert status == 422 and field == "body"


def test_invalid_json_is_left_to_the_app() -> None:
    status, _, inner, _ = call(b'{"name": ')
    assert status == 200 and inner.called


def test_a_body_of_another_type_is_not_parsed() -> None:
    headers = [(b"content-type", b"text/plain")]
    status, _, inner, _ = call(b"\\ud800 NaN [[[[", headers=headers)
    assert status == 200 and inner.called


def test_no_content_type_is_json_as_fastapi_decides() -> None:
    status, field, _ = refused(b'{"a": "\\u0000"}', headers=[])
    assert status == 422 and field == "a"


def test_chunked_body_over_the_limit_stops_reading_at_the_limit() -> None:
    chunk = b" " * (64 * 1024)
    chunks = [chunk] * 48  # 3 MiB, no Content-Length
    status, out, inner, read = call(chunks, headers=[])
    assert status == 413 and out == {"message": "Request body over 1024 KiB"}
    assert not inner.called
    assert read * len(chunk) <= MAX_BODY_BYTES + len(chunk)  # stopped just past 1 MiB


def test_a_content_length_that_lies_low_is_still_counted() -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"10")]
    status, _, _, _ = call([b" " * MAX_BODY_BYTES, b" "], headers=headers)
    assert status == 413


def test_a_content_length_over_the_limit_is_refused_unread() -> None:
    headers = [(b"content-length", str(MAX_BODY_BYTES + 1).encode())]
    status, _, _, read = call(b"{}", headers=headers)
    assert status == 413 and read == 0


def test_exactly_the_limit_passes() -> None:
    body = b'"' + b"x" * (MAX_BODY_BYTES - 2) + b'"'
    status, _, inner, _ = call(body)
    assert status == 200 and inner.body == body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (b"cursor=%ED%A0%80", "cursor"),
        (b"cursor=%00", "cursor"),
        (b"cursor=%FF", "cursor"),
        (b"a%00=1", "query"),
        (b"%FF=1", "query"),
    ],
)
def test_query_strings_must_be_text(query: bytes, field: str) -> None:
    status, got, out = refused(b"", query=query)
    assert status == 422 and got == field and out["errors"][0]["in"] == "query"


def test_a_plain_query_passes() -> None:
    assert call(b"", query=b"status=queued&limit=5&playbookId=pb_x%2B")[0] == 200


@pytest.mark.parametrize("path", ["/api/v1/demo/executions/\x00", "/api/executions/\ud800"])
def test_a_path_that_is_not_text_is_not_found(path: str) -> None:
    status, _, out = refused(b"", path=path)
    assert status == 404 and out == {"message": "Not Found"}


def test_a_nul_in_a_header_is_refused() -> None:
    headers = [(b"content-type", b"application/json"), (b"idempotency-key", b"a\x00b")]
    status, field, out = refused(b"{}", headers=headers)
    assert status == 422 and field == "idempotency-key" and out["errors"][0]["in"] == "header"


def test_the_app_gets_a_disconnect_after_the_body() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((await receive())["type"])
        seen.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = iter([{"type": "http.request", "body": b"{}", "more_body": False}])

    async def receive() -> Message:
        return next(messages, {"type": "http.disconnect"})

    async def send(_: Message) -> None:
        pass

    scope = {"type": "http", "path": "/", "query_string": b"", "headers": []}
    run_async(InputGuard(app)(scope, receive, send))
    assert seen == ["http.request", "http.disconnect"]
