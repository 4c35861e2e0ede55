"""The redacting log filter: the second line of defence against a secret in a log line."""

import logging

from sculptops.domain.token_format import TokenHasher, generate
from sculptops.observability import RedactingFilter, scrub


def test_scrub_removes_tokens_jwts_digests_and_bearer_values():
    token = generate("ag_live_")
    agent = generate("ag_agent_")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    digest = TokenHasher(None).digest(token)
    text = f"a {token} b {agent} c {jwt} d {digest} e Bearer secretvalue"
    cleaned = scrub(text)
    for secret in (token, agent, jwt, digest, "secretvalue"):
        assert secret not in cleaned


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
