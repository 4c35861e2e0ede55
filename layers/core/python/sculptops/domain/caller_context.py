"""The caller as the authorizer hands it to the functions: API Gateway's authorizer context.

`encode` is the authorizer's side (its Allow policy's `context`), `decode` the functions' side
(`requestContext.authorizer` of the proxy event). API Gateway carries only flat string, number
or boolean values there, and hands them on as it got them, so every value is a string, with ""
for none. A context that does not decode to a caller is refused as NotAuthenticated: the
functions trust nothing else, and never half a context.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.domain.roles import Role

KEYS = (
    "kind",
    "subject",
    "tenant",
    "role",
    "credential_id",
    "credential_name",
    "expires_at",
    "ceiling",
)
_SCALARS = (str, int, float, bool)


def encode(caller: Caller) -> dict[str, str]:
    """The context of an Allow policy: flat string values only (never nested, never None)."""
    return {
        "kind": caller.kind.value,
        "subject": caller.subject,
        "tenant": caller.tenant or "",
        "role": caller.role.value if caller.role else "",
        "credential_id": caller.credential_id or "",
        "credential_name": caller.credential_name or "",
        "expires_at": caller.expires_at.isoformat() if caller.expires_at else "",
        "ceiling": caller.ceiling.value if caller.ceiling else "",
    }


def decode(context: Mapping[str, Any] | None) -> Caller:
    """The caller that `encode` wrote; NotAuthenticated for anything else.

    No context, no kind or no subject: `no-authorizer-context` (the function was reached
    without the authorizer). An unknown kind or role, a date that is not ISO-8601, a value that
    is not a scalar: `bad-authorizer-context`. Keys it does not know (API Gateway adds
    `principalId`) are ignored.
    """
    if not isinstance(context, Mapping) or not context.get("kind") or not context.get("subject"):
        raise NotAuthenticated("no-authorizer-context")
    values: dict[str, str] = {}
    for key in KEYS:
        value = context.get(key)
        if value is not None and not isinstance(value, _SCALARS):
            raise NotAuthenticated("bad-authorizer-context")
        values[key] = "" if value is None else str(value)
    try:
        return Caller(
            kind=CredentialKind(values["kind"]),
            subject=values["subject"],
            tenant=values["tenant"] or None,
            role=Role(values["role"]) if values["role"] else None,
            credential_id=values["credential_id"] or None,
            credential_name=values["credential_name"] or None,
            expires_at=(
                datetime.fromisoformat(values["expires_at"]) if values["expires_at"] else None
            ),
            ceiling=Role(values["ceiling"]) if values["ceiling"] else None,
        )
    except ValueError as exc:
        raise NotAuthenticated("bad-authorizer-context") from exc
