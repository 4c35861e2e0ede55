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
    ticket = "st_WyJ" + "A" * 40 + "." + "S" * 43  # a whole one: payload and MAC
    for before, after in [("", "_"), ("", "é"), ("x_", "_x"), ("é", "é"), ("ansible_", "_1")]:
        for secret in (token, generate("ag_agent_"), digest, ticket):
            text = f"name {before}{secret}{after} end"
            # A digest is redacted from logs, but is no credential to refuse in a name.
            assert holds_credential(text) is (secret != digest), text
            assert secret not in scrub(text) and secret[:24] not in scrub(text), text


def test_a_token_hidden_by_invisible_characters_or_without_its_prefix_is_found() -> None:
    """Round 2 of the attack: names and reasons such as these were stored, and a path with a
    soft hyphen inside a token was echoed in a 403 and logged (63 characters: enough to
    rebuild it, since the checksum is public)."""
    token = generate("ag_live_", TokenHasher(b"pepper-pepper-pepper").owner_key("member@demo"))
    body = token[len("ag_live_") :]
    ticket = "st_WyJ" + "A" * 40 + "." + "B" * 43
    for text in [
        token[:20] + "\u00ad" + token[20:],
        token[:30] + "\u200d" + token[30:],
        token[:30] + "\u200b" + token[30:40] + "\u2060" + token[40:],
        token[:25] + "\u0301" + token[25:],
        body,
        "_" + body,
        "ag_live_ " + body,
        "ag-live-" + body,
        token + "Z",
        "EventSource/1" + ticket,
    ]:
        assert holds_credential(text), repr(text)
        cleaned = scrub(text)
        assert "[REDACTED]" in cleaned and body[5:25] not in cleaned.replace("\u00ad", ""), text
    assert (
        scrub(f"not a member of tenant {token[:20]}\u00ad{token[20:]}")[:64].count(body[:20]) == 0
    )
    # Ordinary text is left alone, invisible characters between words included.
    for text in ["deploy pipeline", "café", "a\u200bb", "release_2026_12_07", "x" * 200]:
        assert not holds_credential(text) and scrub(text) == text


def test_names_that_only_look_like_credentials_are_not_refused() -> None:
    """What a name may hold (round 3 of the attack found these refused): only a working
    credential is refused; logs still redact their shapes."""
    for name in [
        "release_" + "0123456789abcdef0123456789abcdef01234567",
        "i18n_docs_internationalization",
        "first_pipelineForProductionDeployments",
        "bearer token for grafana",
        "st_louis-datacenter-backup",
        "runbook?ticket=OPS-42",
        "eyJohnDoeWorkstation",
        "tests_for_something_abcdefghijklmnopqrst",
        "sha256 of release: " + "ab" * 32,
    ]:
        assert not holds_credential(name), name


def test_unseen_and_fullwidth_forms_of_a_token_are_found() -> None:
    token = generate("ag_live_", TokenHasher(b"pepper-pepper-pepper").owner_key("member@demo"))
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in token)
    for inside in ["\u2028", "\ufff9", "\u1dc0", "\u20d0", "\U0001bca0", "\u200d\u1dc0", "\u0600"]:
        assert holds_credential(token[:20] + inside + token[20:]), repr(inside)
    assert holds_credential(fullwidth) and holds_credential(token.replace("1", "\U0001d7cf"))
