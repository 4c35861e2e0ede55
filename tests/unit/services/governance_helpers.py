"""Callers for the governance services' tests: a JWT session with a request origin, and a token
used as the authorizer uses it on every request."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sculptops.bootstrap import Container
from sculptops.domain.identity import Caller, CredentialKind, Principal, RequestOrigin

ORIGIN = RequestOrigin("203.0.113.7", "curl/8", "req-1")


def jwt(c: Container, user_id: str, tenant: str = "demo") -> Caller:
    user = c.identity_store.get_user(user_id)
    assert user is not None
    caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user_id, user), tenant)
    return replace(caller, origin=ORIGIN)


def use(c: Container, value: str, tenant: str = "demo") -> Caller:
    """What the authorizer does on every request: authenticate, then act in the tenant."""
    return c.authenticator.act_in(c.authenticator.authenticate(value), tenant)


def events(c: Container) -> list[Any]:
    """Every audit event written, in order (the fake audit log's)."""
    return list(c.audit_log.events)  # type: ignore[attr-defined]


def notices(c: Container) -> list[Any]:
    return list(c.notification_store.notices)  # type: ignore[attr-defined]
