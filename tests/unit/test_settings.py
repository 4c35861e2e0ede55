"""Settings are validated at cold start: a bad value refuses to start, naming the variable."""

import pytest

from sculptops.settings import Settings, SettingsError


def test_defaults_follow_the_stage():
    s = Settings.from_env({"SCULPTOPS_STAGE": "prod"})
    assert s.tokens_table == "sculptops-prod-tokens"
    assert s.identity_table == "sculptops-prod-identity"
    assert s.token_prefix == "ag_live_" and s.token_pepper is None and s.oidc_issuer is None


def test_values_are_read():
    s = Settings.from_env(
        {
            "SCULPTOPS_TOKEN_PEPPER": "x" * 32,
            "SCULPTOPS_OIDC_ISSUER": "https://idp/realms/x/",
            "SCULPTOPS_TOKEN_PREFIX": "acme_",
            "AWS_REGION": "eu-west-1",
        }
    )
    assert s.token_pepper == b"x" * 32 and s.oidc_issuer == "https://idp/realms/x"
    assert s.token_prefix == "acme_" and s.region == "eu-west-1"
    assert "x" * 32 not in repr(s)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SCULPTOPS_TOKEN_PEPPER": "short"}, "SCULPTOPS_TOKEN_PEPPER"),
        ({"SCULPTOPS_TOKEN_PREFIX": "Bad-"}, "token prefix"),
        ({"SCULPTOPS_TOKEN_PREFIX": "ag_", "SCULPTOPS_AGENT_TOKEN_PREFIX": "ag_agent_"}, "differ"),
        ({"SCULPTOPS_OIDC_LEEWAY_SECONDS": "lots"}, "SCULPTOPS_OIDC_LEEWAY_SECONDS"),
        ({"SCULPTOPS_DYNAMODB_READ_TIMEOUT": "0"}, "SCULPTOPS_DYNAMODB_READ_TIMEOUT"),
        ({"SCULPTOPS_LOG_LEVEL": "LOUD"}, "SCULPTOPS_LOG_LEVEL"),
    ],
)
def test_bad_values_refuse_to_start(env, name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)
