"""The caller context: what the authorizer encodes, the functions decode to the same caller.

API Gateway carries the authorizer's context to the functions as flat string, number or boolean
values; anything else in `requestContext.authorizer` is refused as NotAuthenticated.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sculptops.aws.authorizer import authorize
from sculptops.domain import caller_context
from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.domain.roles import Role
from sculptops.services.tokens import NewToken
from tests.conftest import session

EVENT = json.loads((Path(__file__).parents[1] / "events" / "authorizer_request.json").read_text())
ROLES: list[Role | None] = [None, *Role]
EXPIRIES = [None, datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)]
TENANTS = [None, "demo"]
NAMES = [None, "laptop ✓ ci"]


def _callers(kind: CredentialKind, role: Role | None, ceiling: Role | None) -> list[Caller]:
    return [
        Caller(
            kind=kind,
            subject="member@demo" if kind is not CredentialKind.AGENT else "agt_1",
            tenant=tenant,
            role=role,
            credential_id="tok_0123456789abcdef01234567" if name else None,
            credential_name=name,
            expires_at=expiry,
            ceiling=ceiling,
        )
        for expiry, tenant, name in itertools.product(EXPIRIES, TENANTS, NAMES)
    ]


@pytest.mark.parametrize(
    ("kind", "role", "ceiling"), list(itertools.product(CredentialKind, ROLES, ROLES))
)
def test_every_caller_round_trips_through_flat_scalars(
    kind: CredentialKind, role: Role | None, ceiling: Role | None
) -> None:
    for caller in _callers(kind, role, ceiling):
        # Given the context the authorizer writes for a caller
        context = caller_context.encode(caller)
        # Then it is flat: scalars only, as API Gateway's context allows
        assert all(type(v) in (str, int, float, bool) for v in context.values()), context
        # When API Gateway hands it on (as JSON) and a function decodes it
        carried = json.loads(json.dumps(context))
        # Then it is the same caller
        assert caller_context.decode(carried) == caller


def test_an_expiry_keeps_its_instant_whatever_its_offset() -> None:
    paris = datetime(2031, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2)))
    caller = Caller(CredentialKind.JWT, "admin@demo", "demo", Role.ADMIN, expires_at=paris)
    decoded = caller_context.decode(caller_context.encode(caller))
    assert decoded.expires_at == paris and decoded.expires_at.utcoffset() == timedelta(hours=2)


def test_api_gateways_own_keys_are_ignored() -> None:
    caller = Caller(CredentialKind.TOKEN, "member@demo", "demo", Role.MEMBER)
    context = {
        **caller_context.encode(caller),
        "principalId": "member@demo",
        "integrationLatency": 3,
    }
    assert caller_context.decode(context) == caller


def test_what_the_authorizer_allows_decodes_to_whom_it_resolved(fake: Any) -> None:
    # Given a member's personal token with a viewer ceiling, used in tenant demo
    owner = session(fake, "member@demo")
    value = fake.tokens.create(owner, NewToken(name="ci", ceiling=Role.VIEWER)).value
    event = copy.deepcopy(EVENT)
    event["headers"] = {"Authorization": f"Bearer {value}"}
    event["multiValueHeaders"] = {"Authorization": [f"Bearer {value}"]}
    event["resource"], event["httpMethod"] = "/api/v1/{tenant_id}/tokens", "GET"
    event["pathParameters"] = {"tenant_id": "demo"}
    # When the authorizer allows it
    result = authorize(fake.authenticator, event)
    # Then the function side reads the caller the authenticator resolved, nothing more
    caller = caller_context.decode(json.loads(json.dumps(result["context"])))
    assert caller.kind is CredentialKind.TOKEN and caller.subject == "member@demo"
    assert caller.tenant == "demo" and caller.role is Role.VIEWER and caller.ceiling is Role.VIEWER
    assert caller.credential_name == "ci" and caller.expires_at is not None
    assert value not in json.dumps(result)


GOOD = caller_context.encode(
    Caller(
        CredentialKind.TOKEN,
        "member@demo",
        "demo",
        Role.MEMBER,
        credential_id="tok_0123456789abcdef01234567",
        credential_name="laptop",
        expires_at=EXPIRIES[1],
        ceiling=Role.MEMBER,
    )
)


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        (None, "no-authorizer-context"),
        ("kind=token", "no-authorizer-context"),
        ([GOOD], "no-authorizer-context"),
        ({}, "no-authorizer-context"),
        ({k: v for k, v in GOOD.items() if k != "kind"}, "no-authorizer-context"),
        ({**GOOD, "kind": ""}, "no-authorizer-context"),
        ({k: v for k, v in GOOD.items() if k != "subject"}, "no-authorizer-context"),
        ({**GOOD, "subject": ""}, "no-authorizer-context"),
        ({**GOOD, "kind": "root"}, "bad-authorizer-context"),
        ({**GOOD, "kind": True}, "bad-authorizer-context"),
        ({**GOOD, "role": "owner"}, "bad-authorizer-context"),
        ({**GOOD, "role": "Admin"}, "bad-authorizer-context"),
        ({**GOOD, "ceiling": "superuser"}, "bad-authorizer-context"),
        ({**GOOD, "expires_at": "next tuesday"}, "bad-authorizer-context"),
        ({**GOOD, "expires_at": "2031-02-30T00:00:00+00:00"}, "bad-authorizer-context"),
        ({**GOOD, "expires_at": 1_999_999_999}, "bad-authorizer-context"),
        ({**GOOD, "tenant": {"slug": "demo"}}, "bad-authorizer-context"),
        ({**GOOD, "role": ["admin"]}, "bad-authorizer-context"),
    ],
)
def test_a_hostile_context_is_not_authenticated(context: Any, reason: str) -> None:
    with pytest.raises(NotAuthenticated) as refused:
        caller_context.decode(context)
    assert refused.value.reason == reason
