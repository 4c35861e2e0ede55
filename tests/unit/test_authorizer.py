"""The REQUEST authorizer: 401 by raising Unauthorized, 403 by a Deny policy, never a wrong Allow."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sculptops.aws.authorizer import AuthorizerUnavailable, authorize
from sculptops.domain.errors import Unavailable
from sculptops.services.tokens import NewToken
from tests.conftest import session

EVENT = json.loads((Path(__file__).parents[1] / "events" / "authorizer_request.json").read_text())


def _event(headers=None, tenant="demo", resource="/api/v1/{tenant_id}/tokens", method="GET"):
    e = copy.deepcopy(EVENT)
    e["headers"].update(headers or {})
    e["multiValueHeaders"] = {k: [v] for k, v in e["headers"].items()}
    e["resource"] = resource
    e["httpMethod"] = method
    e["pathParameters"] = {"tenant_id": tenant} if tenant else None
    e["methodArn"] = f"arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/{method}{resource}"
    return e


def _token(c, user="admin@demo", **kw):
    return c.tokens.create(session(c, user), NewToken(name="t", **kw)).value


def test_allow_names_the_method_and_carries_a_flat_context(fake):
    value = _token(fake)
    event = _event({"Authorization": f"Bearer {value}"})
    result = authorize(fake.authenticator, event)
    statement = result["policyDocument"]["Statement"][0]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": event["methodArn"],
    }
    ctx = result["context"]
    assert ctx["subject"] == "admin@demo" and ctx["tenant"] == "demo" and ctx["role"] == "admin"
    assert ctx["kind"] == "token"
    assert all(isinstance(v, str) for v in ctx.values())
    assert value not in json.dumps(result)


def test_x_api_key_works_too(fake):
    result = authorize(fake.authenticator, _event({"X-API-Key": _token(fake)}))
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer ag_live_notatoken"},
        {"Authorization": "Bearer ag_live_" + "A" * 36},
        {"X-API-Key": "nope"},
    ],
)
def test_unauthenticated_raises_unauthorized(fake, headers):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(fake.authenticator, _event(headers))


def test_a_non_member_gets_a_deny_with_a_reason(fake):
    result = authorize(
        fake.authenticator, _event({"Authorization": f"Bearer {_token(fake)}"}, "acme")
    )
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "not a member of tenant acme" in result["context"]["reason"]


def test_the_compat_surface_uses_the_active_tenant(fake):
    event = _event({"Authorization": f"Bearer {_token(fake, 'admin@acme')}"}, None, "/api/tokens")
    assert authorize(fake.authenticator, event)["context"]["tenant"] == "acme"


def test_tenantless_routes_allow_without_a_tenant(fake):
    event = _event({"Authorization": f"Bearer {_token(fake)}"}, None, "/api/v1/me")
    assert (
        authorize(fake.authenticator, event)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    )


def test_an_unavailable_store_is_a_failure_never_an_allow(fake):
    value = _token(fake)
    fake.token_store.fail_with = Unavailable()
    with pytest.raises(AuthorizerUnavailable):
        authorize(fake.authenticator, _event({"Authorization": f"Bearer {value}"}))


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyError("x"), TypeError()])
def test_any_other_store_error_is_unauthorized(fake, error):
    value = _token(fake)
    fake.token_store.fail_with = error
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(fake.authenticator, _event({"Authorization": f"Bearer {value}"}))


def test_an_identity_store_error_during_tenant_resolution_denies(fake):
    value = _token(fake)
    fake.identity_store.fail_with = RuntimeError("boom")
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(fake.authenticator, _event({"Authorization": f"Bearer {value}"}))


def test_the_authorizer_imports_no_web_stack():
    code = (
        "import sys; sys.path.insert(0, 'functions/authorizer');"
        "import handler;"
        "bad = [m for m in ('fastapi', 'starlette', 'pydantic', 'mangum') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_reasons_never_echo_the_credential(fake, caplog):
    caplog.set_level("DEBUG")
    value = _token(fake)
    for headers in ({"Authorization": f"Bearer {value}"}, {"Authorization": f"Bearer {value}x"}):
        try:
            authorize(fake.authenticator, _event(headers, "acme"))
        except Exception as exc:
            assert value not in str(exc)
    assert value not in caplog.text


@pytest.mark.parametrize("tenant", ['x"}', "UPPER", "a" * 60, "me", "../demo"])
def test_odd_tenant_segments_are_denied_with_a_json_safe_reason(fake, tenant):
    result = authorize(
        fake.authenticator, _event({"Authorization": f"Bearer {_token(fake)}"}, tenant)
    )
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    json.loads('{"reason":"%s"}' % result["context"]["reason"])
