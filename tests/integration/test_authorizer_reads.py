"""The authorizer's reads on botocore directly (adapters.dynamodb.auth_reads), on moto and
DynamoDB Local: round trips per authorization, the same answers as the pynamodb stores, and
every revocation still seen on the one-request path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from sculptops.adapters.dynamodb.auth_reads import AuthReads
from sculptops.aws.authentication import authenticator_for
from sculptops.aws.authorizer import AuthorizerUnavailable, authorize
from sculptops.bootstrap import Container
from sculptops.domain import token_format
from sculptops.domain.errors import Unavailable
from sculptops.domain.identity import CredentialKind, Principal
from sculptops.domain.ids import sortable_id
from sculptops.domain.roles import Role
from sculptops.domain.token_format import TokenHasher
from sculptops.services.auth import Authenticator
from sculptops.services.rotation import Rotation
from sculptops.services.tokens import NewToken
from tests.fakes import FakeJwtVerifier
from tests.iam import grants
from tests.integration.conftest import on_dynamodb_local_too


def _caller(c: Container, user_id: str, tenant: str) -> Any:
    user = c.identity_store.get_user(user_id)
    assert user is not None
    return c.authenticator.act_in(Principal(CredentialKind.JWT, user_id, user), tenant)


def _event(value: str, tenant: str | None, resource: str = "/api/v1/{tenant_id}/me") -> dict:
    return {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:0:api/test/GET/x",
        "resource": resource if tenant else "/api/playbooks",
        "pathParameters": {"tenant_id": tenant} if tenant else None,
        "headers": {"Authorization": f"Bearer {value}"},
        "requestContext": {"identity": {"sourceIp": "203.0.113.9"}},
    }


@pytest.fixture
def lean(real: Container) -> Authenticator:
    """The authorizer's own composition over the same tables and clock as `real`."""
    return authenticator_for(real.settings, jwt_verifier=FakeJwtVerifier(), clock=real.clock)


class Sends:
    """HTTP requests the authorizer's client sends, by operation (once per attempt)."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.ops: Counter[str] = Counter()
        self._events = authenticator._lookup._reads.client.meta.events  # type: ignore[union-attr]

    def _on(self, event_name: str, **_: Any) -> None:
        self.ops[event_name.rsplit(".", 1)[-1]] += 1

    def __enter__(self) -> Counter[str]:
        self._events.register_first("before-send.dynamodb", self._on)
        return self.ops

    def __exit__(self, *exc: object) -> None:
        self._events.unregister("before-send.dynamodb", self._on)


def _authorize(a: Authenticator, event: dict) -> dict:
    return authorize(a, event)


def _legacy_value(real: Container, caller: Any) -> str:
    """A token as made before values carried the owner key (the short body)."""
    token = real.tokens.create(caller, NewToken(name="legacy")).token
    value = token_format.generate(real.settings.token_prefix)
    digest = TokenHasher(real.settings.token_pepper).digest(value)
    real.token_store.put(replace(token, digest=digest, id=sortable_id("tok", 1)))
    return value


def test_round_trips_per_authorization(real: Container, lean: Authenticator) -> None:
    admin = _caller(real, "admin@demo", "demo")
    token = real.tokens.create(admin, NewToken(name="rt")).value
    agent = real.agents.register(admin, "rt").token
    agent_event = _event(agent, "demo", "/api/v1/{tenant_id}/agents/claim")
    for event in (_event(token, "demo"), _event(token, None), agent_event):
        _authorize(lean, event)  # first use: its last use is recorded (one UpdateItem)
    with Sends(lean) as ops:
        assert _authorize(lean, _event(token, "demo"))["context"]["role"] == "admin"
    # The token, its owner (by the key in the value) and the tenant in one BatchGetItem.
    assert ops == Counter({"BatchGetItem": 1})
    with Sends(lean) as ops:
        _authorize(lean, _event(token, None))  # the active tenant is known from the owner only
    assert ops == Counter({"BatchGetItem": 1, "GetItem": 1})
    legacy = _legacy_value(real, admin)
    _authorize(lean, _event(legacy, "demo"))
    with Sends(lean) as ops:
        assert _authorize(lean, _event(legacy, "demo"))["context"]["role"] == "admin"
    assert ops == Counter({"BatchGetItem": 1, "GetItem": 1})  # the owner after the token
    with Sends(lean) as ops:
        _authorize(lean, agent_event)
    assert ops == Counter({"GetItem": 1})
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbkBkZW1vIn0.c2ln"
    lean._jwt.valid[jwt] = {"sub": "admin@demo"}  # type: ignore[union-attr]
    with Sends(lean) as ops:
        assert _authorize(lean, _event(jwt, "demo"))["context"]["role"] == "admin"
    assert ops == Counter({"GetItem": 1})
    with Sends(lean) as ops, pytest.raises(Exception, match="^Unauthorized$"):
        _authorize(lean, _event("ag_live_" + "A" * 36, "demo"))
    assert ops == Counter()


def test_the_reads_answer_as_the_pynamodb_stores(real: Container, lean: Authenticator) -> None:
    member = _caller(real, "member@demo", "demo")
    first = real.tokens.create(member, NewToken(name="parent", ceiling=Role.VIEWER))
    rotated = real.tokens.rotate(member, first.token.id, Rotation(overlap_seconds=60))
    authorize(lean, _event(rotated.value, "demo"))  # records a last use and an IP
    admin = _caller(real, "admin@demo", "demo")
    real.admin_tokens.revoke_token(admin, first.token.id, "test")  # blocked in demo
    real.identity_store.revoke_tokens_before("admin@demo", real.clock.now() - timedelta(days=1))
    reads = AuthReads(real.settings)
    for stored in (first.token, rotated.token):
        ours = reads.get_token(stored.digest)
        assert ours == real.token_store.get(stored.digest)
        assert reads.find_token(stored.owner, stored.id) == real.token_store.find(
            stored.owner, stored.id
        )
    again = reads.get_token(rotated.token.digest)
    assert again is not None and again.last_used_ips == ("203.0.113.9",)
    for user_id in ("admin@demo", "member@demo", "nobody@demo"):
        assert reads.get_user(user_id) == real.identity_store.get_user(user_id)
    for slug in ("demo", "acme", "nope"):
        tenant = real.identity_store.get_tenant(slug)
        assert reads.get_tenant(slug) == tenant
        for user_id in ("member@demo", "admin@demo", "nobody@demo"):
            key = TokenHasher(real.settings.token_pepper).owner_key(user_id)
            assert reads.token_owner_tenant(rotated.token.digest, key, slug) == (
                real.token_store.get(rotated.token.digest),
                real.identity_store.get_user(user_id),
                tenant,
            )
    demo = reads.get_tenant("demo")
    assert demo is not None and first.token.id in demo.blocked_tokens
    # Without a token, nothing more is decoded: whether a tenant or a user exists takes no
    # measurable time more to answer (an attacker's timing probe with made-up values).
    assert reads.token_owner_tenant("0" * 64, None, "demo") == (None, None, None)
    assert reads.token_owner_tenant(first.token.digest, None, "demo")[2] == demo
    member = real.identity_store.get_user("member@demo")
    # The owner is decoded only with its token: without one, nothing more is.
    member_key = TokenHasher(real.settings.token_pepper).owner_key("member@demo")
    assert reads.token_owner_tenant("0" * 64, member_key, None) == (None, None, None)
    token_of_member = first.token.digest
    assert reads.token_owner_tenant(token_of_member, member_key, None) == (
        real.token_store.get(token_of_member),
        member,
        None,
    )


@on_dynamodb_local_too
def test_last_use_writes_interoperate(real: Container, lean: Authenticator) -> None:
    admin = _caller(real, "admin@demo", "demo")
    created = real.tokens.create(admin, NewToken(name="use"))
    reads = AuthReads(real.settings)
    now = real.clock.now()
    # Written by pynamodb, conditioned on by the raw write, and the other way round.
    assert real.token_store.record_use(created.token, now, ("198.51.100.1",))
    seen = reads.get_token(created.token.digest)
    assert seen is not None
    assert not reads.record_use(created.token, now, ())  # stale: last_used_at was None
    assert reads.record_use(seen, now + timedelta(minutes=2), ("198.51.100.2",))
    again = real.token_store.get(created.token.digest)
    assert again is not None and again.last_used_ips == ("198.51.100.2",)
    assert real.token_store.record_use(again, now + timedelta(minutes=4), ())
    real.tokens.delete(admin, created.token.id)
    assert not reads.record_use(again, now + timedelta(minutes=6), ())  # never resurrects
    assert reads.get_token(created.token.digest) is None


@on_dynamodb_local_too
def test_revocations_are_seen_on_the_one_request_path(real: Container, lean: Authenticator) -> None:
    admin = _caller(real, "admin@demo", "demo")
    member = _caller(real, "member@demo", "demo")
    blocked = real.tokens.create(member, NewToken(name="blocked")).value
    demoted = real.tokens.create(member, NewToken(name="demoted")).value
    assert (
        authorize(lean, _event(blocked, "demo"))["policyDocument"]["Statement"][0]["Effect"]
        == "Allow"
    )
    # An admin's revocation in demo (the owner is in acme too: blocked on the tenant item).
    token_id = next(t.id for t in real.tokens.list(member, None, 100).tokens if t.name == "blocked")
    real.admin_tokens.revoke_token(admin, token_id, None)
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(lean, _event(blocked, "demo"))
    assert authorize(lean, _event(blocked, "acme"))["context"]["role"] == "viewer"
    # A role change is in force on the very next request.
    real.membership.set_role(admin, "member@demo", Role.VIEWER)
    assert authorize(lean, _event(demoted, "demo"))["context"]["role"] == "viewer"
    # Removal from the tenant, then revoke-all (the owner's watermark).
    real.membership.remove_member(admin, "member@demo")
    denied = authorize(lean, _event(demoted, "demo"))
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    real.clock.advance(seconds=1)
    real.tokens.revoke_all(_caller(real, "member@demo", "acme"))
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(lean, _event(demoted, "acme"))


class _Stub:
    """A client whose BatchGetItem leaves keys unprocessed `unprocessed` times."""

    class _Signer:
        _credentials = True

    _request_signer = _Signer()

    def __init__(self, unprocessed: int, answer: dict) -> None:
        self.calls = 0
        self._unprocessed = unprocessed
        self._answer = answer

    def batch_get_item(self, RequestItems: dict) -> dict:
        self.calls += 1
        if self.calls <= self._unprocessed:
            return {"Responses": {}, "UnprocessedKeys": RequestItems}
        return self._answer


@pytest.fixture
def stubbed(backend: Any) -> Iterator[tuple[AuthReads, Any]]:
    yield AuthReads(backend), backend


def test_unprocessed_keys_are_asked_again_then_unavailable(stubbed) -> None:
    reads, settings = stubbed
    tenant_item = {"pk": {"S": "TENANT#demo"}, "sk": {"S": "TENANT"}, "name": {"S": "Demo"}}
    token_item = {
        "digest": {"S": "0" * 64},
        "id": {"S": "tok_1"},
        "kind": {"S": "token"},
        "owner": {"S": "x"},
        "name": {"S": "t"},
        "created_at": {"S": "2026-12-07T10:00:00.000000+0000"},
    }
    answer = {settings.identity_table: [tenant_item], settings.tokens_table: [token_item]}
    reads._client = _Stub(2, {"Responses": answer})
    token, user, tenant = reads.token_owner_tenant("0" * 64, "A" * 22, "demo")
    assert token is not None and user is None and tenant is not None and tenant.name == "Demo"
    assert reads._client.calls == 3
    reads._client = _Stub(3, {"Responses": {}})
    with pytest.raises(Unavailable):
        reads.token_owner_tenant("0" * 64, None, "demo")
    assert reads._client.calls == 3


class _Refusing:
    """A client whose every call DynamoDB refuses with `code` (e.g. a missing IAM grant)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __getattr__(self, operation: str) -> Any:
        from botocore.exceptions import ClientError

        def call(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, operation)

        return call


@pytest.mark.parametrize(
    "code", ["AccessDeniedException", "ResourceNotFoundException", "ValidationException"]
)
def test_a_refusal_that_is_the_deployments_fault_is_503_never_401(
    real: Container, lean: Authenticator, code: str
) -> None:
    """A missing grant or table would otherwise tell every caller that its credential is bad."""
    admin = _caller(real, "admin@demo", "demo")
    token = real.tokens.create(admin, NewToken(name="refused")).value
    lean._lookup._reads._client = _Refusing(code)  # type: ignore[union-attr]
    for event in (_event(token, "demo"), _event(token, None)):
        with pytest.raises(AuthorizerUnavailable):
            authorize(lean, event)


# ---- every DynamoDB call the authorizer makes is one its IAM role grants (infra/roles.yml) ----

_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}


def _actions(operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    """(table or `table/index/name`, IAM action) for one DynamoDB API call."""
    if operation == "BatchGetItem":
        return {(t, "dynamodb:BatchGetItem") for t in params["RequestItems"]}
    if operation == "BatchWriteItem":
        return {(t, "dynamodb:BatchWriteItem") for t in params["RequestItems"]}
    if operation == "TransactWriteItems":
        out = set()
        for item in params["TransactItems"]:
            for kind, body in item.items():
                action = _ITEM_ACTIONS.get(kind, "ConditionCheckItem")
                out.add((body["TableName"], f"dynamodb:{action}"))
        return out
    if operation == "TransactGetItems":
        return {(i["Get"]["TableName"], "dynamodb:GetItem") for i in params["TransactItems"]}
    table = params["TableName"]
    if params.get("IndexName"):
        table = f"{table}/index/{params['IndexName']}"
    return {(table, f"dynamodb:{operation}")}


def _role_grants(role: str) -> set[tuple[str, str]]:
    """(logical table or `Table/index/name`, action) that infra/roles.yml grants `role`."""
    import yaml

    from sculptops.local.project import repo_root

    doc = yaml.safe_load((repo_root() / "infra" / "roles.yml").read_text())
    return {(table, a) for table, actions in grants(doc, role).items() for a in actions}


def test_every_call_the_authorizer_makes_is_granted_to_its_role(
    real: Container, lean: Authenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call the role lacks is AccessDenied on AWS: the token check would fail for everyone
    (moto and DynamoDB Local check no IAM, so this test does it)."""
    from botocore.client import BaseClient

    calls: list[tuple[str, dict[str, Any]]] = []
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, params))
        return original(self, operation, params)

    admin = _caller(real, "admin@demo", "demo")
    token = real.tokens.create(admin, NewToken(name="iam")).value
    agent = real.agents.register(admin, "iam").token
    rotated = real.tokens.create(admin, NewToken(name="iam-rotated"))
    real.tokens.rotate(admin, rotated.token.id, Rotation(overlap_seconds=1))
    real.clock.advance(seconds=5)  # the rotated-away value is now reused: a family revocation
    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    lean._jwt.valid["eyJ.a.b"] = {"sub": "member@demo"}  # type: ignore[union-attr]
    for event in (
        _event(token, "demo"),
        _event(token, None),
        _event(agent, "demo", "/api/v1/{tenant_id}/agents/claim"),
        _event("eyJ.a.b", "demo"),
    ):
        assert authorize(lean, event)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(lean, _event(rotated.value, "demo"))
    tables = {
        real.settings.tokens_table: "TokensTable",
        real.settings.identity_table: "IdentityTable",
    }
    used = set()
    for operation, params in calls:
        for table, action in _actions(operation, params):
            name, _, index = table.partition("/index/")
            used.add((tables[name] + (f"/index/{index}" if index else ""), action))
    assert ("TokensTable", "dynamodb:BatchGetItem") in used  # the one-request path was taken
    assert ("IdentityTable", "dynamodb:PutItem") in used  # the family revocation was written
    missing = used - _role_grants("AuthorizerRole")
    assert not missing, f"AuthorizerRole (infra/roles.yml) lacks {sorted(missing)}"
