"""The redacting log filter: the second line of defence against a secret in a log line."""

import logging

from sculptops.domain.token_format import TokenHasher, generate
from sculptops.observability import RedactingFilter, escape_controls, holds_credential, scrub


def test_scrub_removes_tokens_jwts_digests_and_bearer_values():
    token = generate("ag_live_", TokenHasher(b"pepper-pepper-pepper").owner_key("member@demo"))
    older = generate("ag_live_")  # made before values carried the owner key
    agent = generate("ag_agent_")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    digest = TokenHasher(None).digest(token)
    text = f"a {token} b {agent} c {jwt} d {digest} e Bearer secretvalue f {older}"
    cleaned = scrub(text)
    for secret in (token, older, agent, jwt, digest, "secretvalue"):
        assert secret not in cleaned
    # No piece long enough to tell the random part or the owner key either.
    assert token[8:30] not in cleaned and token[38:60] not in cleaned


def test_filter_scrubs_formatted_messages_and_exceptions():
    token = generate("ag_live_")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "got %s", (token,), None)
    RedactingFilter().filter(record)
    assert token not in record.getMessage()
    try:
        raise ValueError(token)
    except ValueError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "boom", (), (type(exc), exc, None)
        )
    RedactingFilter().filter(record)
    assert token not in (record.exc_text or "")


def test_filter_escapes_control_characters_of_the_formatted_message():
    # Given a request path with a forged log line, terminal escapes and Unicode line breaks,
    # logged as Mangum logs each request
    path = "/x\r\nINFO mangum.http GET /admin 200\x1b[2J\x00\x7f\x85\u2028\u2029\t/é"
    record = logging.LogRecord(
        "mangum.http", logging.INFO, __file__, 1, "%s %s %s", ("GET", path, 404), None
    )
    # When the filter sees it
    assert RedactingFilter().filter(record)
    # Then the line holds no control character, each written out instead
    message = record.getMessage()
    assert message == (
        "GET /x\\x0d\\x0aINFO mangum.http GET /admin 200\\x1b[2J\\x00\\x7f\\x85"
        "\\u2028\\u2029\\x09/é 404"
    )
    assert message.splitlines() == [message]
    assert escape_controls("plain text, ünïcode") == "plain text, ünïcode"


def test_a_record_without_controls_is_left_as_it_is():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s done", ("run",), None)
    RedactingFilter().filter(record)
    assert (record.msg, record.args) == ("%s done", ("run",))


def test_a_credential_glued_to_word_characters_is_still_found() -> None:
    """`_` and letters such as `é` are word characters: a `\\b` after a token missed it there
    (a token name `<token>_` was stored, and a user agent `... <token>é` logged)."""
    keys = TokenHasher(b"pepper-pepper-pepper")
    token = generate("ag_live_", keys.owner_key("member@demo"))
    digest = keys.digest(token)
    ticket = "st_" + "A" * 40 + ".sig"
    for before, after in [("", "_"), ("", "é"), ("x_", "_x"), ("é", "é"), ("ansible_", "_1")]:
        for secret in (token, generate("ag_agent_"), digest, ticket):
            text = f"name {before}{secret}{after} end"
            assert holds_credential(text), text
            assert secret not in scrub(text) and secret[:24] not in scrub(text), text
