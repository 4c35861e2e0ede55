"""The local stack binds to loopback unless told otherwise, and says why it refuses."""

import logging

import pytest

from sculptops.local.server import QuietIdleClaims, check_bind_address


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_is_fine(host):
    check_bind_address(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.com", "::"])
def test_other_addresses_are_refused_unless_asked(host, capsys):
    with pytest.raises(SystemExit, match="--allow-remote"):
        check_bind_address(host, allow_remote=False)
    check_bind_address(host, allow_remote=True)
    assert "API Gateway (HTTPS" in capsys.readouterr().err


def _mangum_record(method: str, path: str, status: int) -> logging.LogRecord:
    return logging.LogRecord(
        "mangum.http", logging.INFO, "", 0, "%s %s %s", (method, path, status), None
    )


@pytest.fixture
def mangum_logger():
    logger = logging.getLogger("mangum.http")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_an_idle_claim_is_not_logged_at_info(mangum_logger):
    # Given the local stack's logging at INFO
    mangum_logger.setLevel(logging.INFO)
    quiet = QuietIdleClaims()
    # Then an agent's claim that found no work is dropped; everything else stays as it was
    assert not quiet.filter(_mangum_record("POST", "/api/v1/active/agents/claim", 204))
    claimed = _mangum_record("POST", "/api/v1/active/agents/claim", 200)
    assert quiet.filter(claimed) and claimed.levelno == logging.INFO
    assert quiet.filter(_mangum_record("GET", "/api/v1/me", 204))


def test_an_idle_claim_is_logged_at_debug_when_asked(mangum_logger):
    mangum_logger.setLevel(logging.DEBUG)
    record = _mangum_record("POST", "/api/v1/demo/agents/claim", 204)
    assert QuietIdleClaims().filter(record)
    assert (record.levelno, record.levelname) == (logging.DEBUG, "DEBUG")
