"""The identity provider's URLs: https anywhere, plain http only to this machine, parsed not
prefix-matched; the same check at settings load and before every fetch."""

import pytest

from sculptops.adapters.oidc import http_fetch_json
from sculptops.domain.errors import Unavailable
from sculptops.settings import Settings, SettingsError, is_provider_url

HOSTILE = [
    "http://127.0.0.1.nip.io/realms/x",
    "http://127.0.0.1@evil.example/",
    "http://localhost@evil.example/",
    "http://localhost.evil/",
    "http://localhost:80@evil.example/",
    "http://127.0.0.1\\@evil.example/",
    "http://evil.example/",
    "http://127.1/",
    "http://0x7f000001/",
    "https://user:secret@idp.example/",
    "ftp://127.0.0.1/",
    "file:///etc/passwd",
    "http://127.0.0.1:99999/",
    " https://idp.example/",
    "https://idp.example/\n",
    "https:///no-host",
    "",
]
FINE = [
    "https://idp.example/realms/x",
    "https://login.example.com:8443/",
    "http://127.0.0.1:8130/dev/oidc",
    "http://127.0.0.5/x",
    "http://localhost:9/x",
    "http://[::1]:9/x",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused(url):
    assert not is_provider_url(url)


@pytest.mark.parametrize("url", FINE)
def test_https_and_loopback_http_are_allowed(url):
    assert is_provider_url(url)


@pytest.mark.parametrize("url", HOSTILE[:6])
def test_the_fetch_refuses_them_before_any_connection(url):
    with pytest.raises(Unavailable, match="must be https"):
        http_fetch_json(url, timeout=0.01)


@pytest.mark.parametrize("name", ["SCULPTOPS_OIDC_ISSUER", "SCULPTOPS_OIDC_JWKS_URL"])
def test_settings_refuse_them_at_load(name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: "http://127.0.0.1.nip.io/realms/x"})
    assert Settings.from_env({name: "https://idp.example/realms/x"})
