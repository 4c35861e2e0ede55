"""The dev identity provider's authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636).

Only what a public client of the local stack needs, held to the rules a real provider keeps:
S256 only (never `plain`), a redirect URI on the stack's own origin only (checked before
anything redirects there), and codes that are random, single use, short-lived and bound to the
client, the redirect URI, the challenge and the user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

CLI_CLIENT_ID = "sculptops-cli"
CONSOLE_CLIENT_ID = "sculptops-console"
CLIENTS = frozenset({CLI_CLIENT_ID, CONSOLE_CLIENT_ID})
CODE_LIFETIME_SECONDS = 60
# How long a sign-in page may stay open before its form is refused.
FORM_LIFETIME_SECONDS = 600
# Codes waiting to be redeemed; past this the oldest go (a dev tool must not grow unbounded).
MAX_PENDING = 1000
MAX_TEXT = 512  # state, nonce, scope
MAX_REDIRECT_URI = 2048
# RFC 7636 §4.1: a verifier (and an S256 challenge) is 43-128 unreserved characters.
PKCE_RE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "scope",
)


class InvalidRequest(ValueError):
    """An authorization or token request that is refused, naming the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidGrant(ValueError):
    """A code that cannot be redeemed (OAuth 2.0 error `invalid_grant`)."""


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str
    nonce: str | None = None
    scope: str | None = None

    def parameters(self) -> dict[str, str]:
        """The request as the page's form carries it to the POST."""
        out = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        if self.nonce is not None:
            out["nonce"] = self.nonce
        if self.scope is not None:
            out["scope"] = self.scope
        return out


def single_values(items: Sequence[tuple[str, str]], names: Sequence[str]) -> dict[str, str]:
    """Each named parameter once at most (RFC 6749 §3.1); others are ignored."""
    out: dict[str, str] = {}
    for name, value in items:
        if name not in names:
            continue
        if name in out:
            raise InvalidRequest(name, "must be given once")
        out[name] = value
    return out


def is_same_origin(uri: str, origin: str) -> bool:
    """Whether `uri` is an absolute URL on exactly `origin` (`http://127.0.0.1:8000`).

    The URL is parsed, never matched as a prefix: another host, another scheme, `//host`,
    userinfo (`http://127.0.0.1@evil`), a backslash, whitespace or a fragment is refused.
    """
    if not uri.isascii() or any(c <= " " or c in "\\\x7f" for c in uri):
        return False
    try:
        parts = urlsplit(uri)
        mine = urlsplit(origin)
    except ValueError:
        return False
    return (
        parts.scheme == mine.scheme
        and parts.netloc == mine.netloc
        and "@" not in parts.netloc
        and (parts.path == "" or parts.path.startswith("/"))
        and not parts.fragment
        and "#" not in uri
    )


def _text(params: dict[str, str], name: str, required: bool) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise InvalidRequest(name, "is required")
        return None
    if len(value) > MAX_TEXT:
        raise InvalidRequest(name, f"must be at most {MAX_TEXT} characters")
    if not _PRINTABLE.fullmatch(value):
        raise InvalidRequest(name, "must be printable ASCII")
    return value


def parse_authorization_request(
    items: Sequence[tuple[str, str]], origin: str
) -> AuthorizationRequest:
    """A vetted authorization request, or InvalidRequest naming the first bad parameter."""
    params = single_values(items, PARAMETERS)
    client_id = params.get("client_id", "")
    if client_id not in CLIENTS:
        raise InvalidRequest("client_id", "unknown client")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        raise InvalidRequest("redirect_uri", "is required")
    if len(redirect_uri) > MAX_REDIRECT_URI or not is_same_origin(redirect_uri, origin):
        raise InvalidRequest("redirect_uri", f"must be a URL on {origin}")
    if params.get("response_type") != "code":
        raise InvalidRequest("response_type", "must be code")
    if params.get("code_challenge_method") != "S256":
        raise InvalidRequest("code_challenge_method", "must be S256")
    challenge = params.get("code_challenge", "")
    if not PKCE_RE.fullmatch(challenge):
        raise InvalidRequest("code_challenge", "must be 43 to 128 characters of [A-Za-z0-9-._~]")
    state = _text(params, "state", required=True)
    assert state is not None
    return AuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
        nonce=_text(params, "nonce", required=False),
        scope=_text(params, "scope", required=False),
    )


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(verifier))), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


@dataclass(frozen=True)
class Grant:
    request: AuthorizationRequest
    username: str
    expires_at: float


class AuthorizationCodes:
    """Codes issued and not yet redeemed, in memory (the local stack is one process)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._pending: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, request: AuthorizationRequest, username: str) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_expired()
            while len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
            self._pending[code] = Grant(request, username, self._clock() + CODE_LIFETIME_SECONDS)
        return code

    def redeem(self, code: str, client_id: str, redirect_uri: str, verifier: str) -> Grant:
        """The grant of a code, once; InvalidGrant for anything but an exact match."""
        with self._lock:
            # Gone on the first attempt, right or wrong: a code cannot be guessed at twice.
            grant = self._pending.pop(code, None)
        if grant is None or grant.expires_at <= self._clock():
            raise InvalidGrant("the code is unknown, used or expired")
        if not _same(client_id, grant.request.client_id):
            raise InvalidGrant("client_id does not match the authorization request")
        if not _same(redirect_uri, grant.request.redirect_uri):
            raise InvalidGrant("redirect_uri does not match the authorization request")
        if not PKCE_RE.fullmatch(verifier) or not _same(
            s256(verifier), grant.request.code_challenge
        ):
            raise InvalidGrant("code_verifier does not match the code_challenge")
        return grant

    def _forget_expired(self) -> None:
        now = self._clock()
        for code in [c for c, g in self._pending.items() if g.expires_at <= now]:
            del self._pending[code]


class SignInForms:
    """Sign-in pages shown and not yet submitted, against login CSRF.

    Each page carries a random nonce in a hidden field; the nonce is bound to the authorization
    request the page shows and is good for one POST within FORM_LIFETIME_SECONDS. A form that
    another site builds has no nonce this provider issued, whatever Origin it can hide.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._pending: dict[str, tuple[AuthorizationRequest, float]] = {}
        self._lock = threading.Lock()

    def issue(self, request: AuthorizationRequest) -> str:
        nonce = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            for old in [n for n, (_, until) in self._pending.items() if until <= now]:
                del self._pending[old]
            while len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
            self._pending[nonce] = (request, now + FORM_LIFETIME_SECONDS)
        return nonce

    def redeem(self, nonce: str, request: AuthorizationRequest) -> None:
        """Accept the form once, for the request its page showed; InvalidRequest otherwise."""
        with self._lock:
            # Gone on the first attempt, right or wrong.
            found = self._pending.pop(nonce, None)
        if found is None or found[1] <= self._clock():
            raise InvalidRequest("csrf", "the sign-in page expired or was used; open it again")
        if found[0] != request:
            raise InvalidRequest("csrf", "the form does not match the sign-in page")
