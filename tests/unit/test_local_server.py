"""The local stack binds to loopback unless told otherwise, and says why it refuses."""

import pytest

from sculptops.local.server import check_bind_address


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_is_fine(host):
    check_bind_address(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.com", "::"])
def test_other_addresses_are_refused_unless_asked(host, capsys):
    with pytest.raises(SystemExit, match="--allow-remote"):
        check_bind_address(host, allow_remote=False)
    check_bind_address(host, allow_remote=True)
    assert "API Gateway (HTTPS" in capsys.readouterr().err
