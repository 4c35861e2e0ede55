"""OIDC access-token verification against a JWKS: signature, iss, exp/nbf, typ, aud."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from sculptops.adapters.oidc import JwksAccessTokenVerifier
from sculptops.domain.errors import NotAuthenticated, Unavailable
from sculptops.local.devidp import DevIdentityProvider

ISSUER = "http://127.0.0.1:9/dev/oidc"


@pytest.fixture(scope="module")
def idp():
    return DevIdentityProvider(ISSUER, {"admin@demo"})


@pytest.fixture
def fetches(idp):
    calls = []

    def fetch(url):
        calls.append(url)
        if url.endswith("openid-configuration"):
            return idp.configuration()
        return idp.jwks()

    return calls, fetch


def _verifier(fetch, **kw):
    return JwksAccessTokenVerifier(
        issuer=ISSUER, audience="account", fetch=fetch, leeway_seconds=5, **kw
    )


def _sign(idp, claims, **headers):
    return jwt.encode(claims, idp._key, algorithm="RS256", headers={"kid": idp.kid, **headers})


def _claims(**over):
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "sub": "admin@demo",
        "exp": now + 86400,  # parametrize builds these at collection time
        "iat": now,
        "nbf": now - 60,
        "typ": "Bearer",
        "aud": ["account"],
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_access_token_and_the_jwks_fetched_once(idp, fetches):
    calls, fetch = fetches
    v = _verifier(fetch)
    for _ in range(5):
        assert v.verify(idp.issue("admin@demo")["access_token"])["sub"] == "admin@demo"
    assert calls == [f"{ISSUER}/.well-known/openid-configuration", f"{ISSUER}/jwks.json"]


def test_an_id_token_is_refused(idp, fetches):
    with pytest.raises(NotAuthenticated) as exc:
        _verifier(fetches[1]).verify(idp.issue("admin@demo")["id_token"])
    assert exc.value.reason == "not-an-access-token"


# Built when each test runs (not at collection: the suite takes minutes, and time moves).
BAD_CLAIMS = {
    "expired": (lambda now: _claims(exp=now - 60), "invalid-jwt"),
    "not yet valid": (lambda now: _claims(nbf=now + 60), "invalid-jwt"),
    "other issuer": (lambda now: _claims(iss="https://evil.example"), "invalid-jwt"),
    "other audience": (lambda now: _claims(aud=["other"]), "wrong-audience"),
    "no audience": (lambda now: _claims(aud=None), "wrong-audience"),
    "id token": (lambda now: _claims(typ="ID"), "not-an-access-token"),
    "no subject": (lambda now: _claims(sub=None), "invalid-jwt"),
}


@pytest.mark.parametrize("case", list(BAD_CLAIMS))
def test_bad_claims_are_refused(idp, fetches, case):
    make, reason = BAD_CLAIMS[case]
    with pytest.raises(NotAuthenticated) as exc:
        _verifier(fetches[1]).verify(_sign(idp, make(int(time.time()))))
    assert exc.value.reason == reason


def test_small_clock_skew_is_tolerated(idp, fetches):
    token = _sign(idp, _claims(exp=int(time.time()) - 2))
    assert _verifier(fetches[1]).verify(token)["sub"] == "admin@demo"


def test_a_token_signed_by_another_key_is_refused(fetches):
    other = DevIdentityProvider(ISSUER, {"admin@demo"})
    forged = jwt.encode(_claims(), other._key, algorithm="RS256", headers={"kid": "someone-else"})
    with pytest.raises(NotAuthenticated):
        _verifier(fetches[1]).verify(forged)


def test_alg_none_and_hs256_confusion_are_refused(idp, fetches):
    none = jwt.encode(_claims(), None, algorithm="none", headers={"kid": idp.kid})
    # HS256 signed with the public key as the secret, built by hand (PyJWT refuses to).
    pub = jwt.algorithms.RSAAlgorithm.to_jwk(idp._key.public_key()).encode()
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")  # noqa: E731
    signing = (
        b64(json.dumps({"alg": "HS256", "kid": idp.kid}).encode())
        + b"."
        + b64(json.dumps(_claims()).encode())
    )
    hs = (signing + b"." + b64(hmac.new(pub, signing, hashlib.sha256).digest())).decode()
    for token in (none, hs, "eyJ.not.jwt"):
        with pytest.raises(NotAuthenticated):
            _verifier(fetches[1]).verify(token)


def test_unknown_kid_refreshes_once_then_is_rate_limited(idp, fetches):
    calls, fetch = fetches
    v = _verifier(fetch, jwks_url=f"{ISSUER}/jwks.json")
    v.verify(idp.issue("admin@demo")["access_token"])
    bogus = _sign(idp, _claims(), kid="rotated")
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            v.verify(bogus)
    assert len(calls) == 1  # no refetch within the minimum interval


def test_an_unreachable_provider_is_unavailable():
    def fetch(url):
        raise Unavailable("identity provider unreachable")

    token = DevIdentityProvider(ISSUER, {"a"}).issue("a")["access_token"]
    with pytest.raises(Unavailable):
        _verifier(fetch).verify(token)


def test_plain_http_providers_are_refused_except_loopback():
    from sculptops.adapters.oidc import http_fetch_json

    with pytest.raises(Unavailable):
        http_fetch_json("http://idp.example.com/jwks")
