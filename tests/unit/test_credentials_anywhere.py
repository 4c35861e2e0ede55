"""A working credential is refused wherever a tenant's viewers read what was sent, and masked in
the one place where refusing is no answer: a run's log (an attacker's round 4)."""

from __future__ import annotations

import time

import pytest

from sculptops.domain import token_format as tf
from sculptops.domain.catalog import (
    Host,
    validate_hosts,
    validate_name,
    validate_playbook,
    validate_vars,
)
from sculptops.domain.errors import InvalidInput
from sculptops.domain.redaction import holds_credential, redact_credentials
from sculptops.domain.run_parameters import validate_run_parameters

TOKEN = tf.generate("ag_live_", tf.TokenHasher(b"pepper-pepper-pepper").owner_key("admin@demo"))
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZW1iZXJAZGVtbyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
TICKET = "st_WyJkZW1vIiwiZXhlYyJd." + "M" * 43


def _refused(where: str, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        call()
    assert exc.value.field == where and "credential" in exc.value.detail


def test_catalog_fields_refuse_a_credential_naming_where() -> None:
    playbook = (
        "- hosts: all\n  tasks:\n    - uri:\n        url: https://x\n        headers:\n"
        f'          Authorization: "Bearer {TOKEN}"\n'
    )
    _refused("content", lambda: validate_playbook(playbook))
    _refused("name", lambda: validate_name(f"pb {TOKEN}"))
    _refused("vars.api_jwt", lambda: validate_vars({"api_jwt": JWT}, "vars"))
    _refused("vars.a.0", lambda: validate_vars({"a": [TICKET]}, "vars"))
    hosts = [Host("web1", {"sculptops_token": TOKEN})]
    _refused("hosts.0.vars.sculptops_token", lambda: validate_hosts(hosts))
    _refused("extra_vars.h", lambda: validate_run_parameters({"h": f"Bearer {TOKEN}"}, [], None))


def test_the_forms_a_paste_takes_are_refused() -> None:
    wrapped_jwt = "\n".join(JWT[i : i + 20] for i in range(0, len(JWT), 20))
    folded = TOKEN[:30] + "=\n" + TOKEN[30:]
    for text in [wrapped_jwt, folded, TOKEN + "\u0301", f"token: '{TOKEN}'", f"?t={TICKET}&x"]:
        assert holds_credential(text), repr(text)


def test_realistic_names_are_not_refused() -> None:
    for text in [
        "post_deploy.eu-west-1-production-cluster-blue-green-rollout",
        "test_suite.integration_tests_for_the_payment_service_v2",
        "latest_build." + "ab" * 32,
        "com.example.test_utils.IntegrationTestForPaymentServiceWithRetries",
        "st_louis-datacenter-backup",
        "eyJohnDoeWorkstation.eyJaneDoe",
    ]:
        assert not holds_credential(text), text
    validate_run_parameters(
        {}, ["host_vars", "eu-west-1-production-cluster-blue-green-rollout"], None
    )


def test_a_run_log_line_is_masked_and_nothing_else_is_touched() -> None:
    line = f'ok: [web1] => {{"msg": "Authorization: Bearer {TOKEN}", "sha": "{"ab" * 32}"}}'
    masked = redact_credentials(line)
    assert TOKEN not in masked and "[REDACTED]" in masked
    assert "Bearer ag_live_[REDACTED]" in masked and "ab" * 32 in masked  # prefix kept
    assert redact_credentials(f"jwt={JWT} ticket={TICKET}") == "jwt=[REDACTED] ticket=[REDACTED]"
    plain = "TASK [Gathering Facts] *** changed: [web1] checksum " + "0f" * 32
    assert redact_credentials(plain) == plain
    hidden = TOKEN[:20] + "\u00ad" + TOKEN[20:]
    assert redact_credentials(f"x {hidden} y") == "[REDACTED]"


def test_looking_takes_linear_time() -> None:
    """Round 4: `eyJ` repeated made the JWT pattern backtrack from every start (60 K chars:
    614 ms). Ratio of 64 K to 16 K characters in one run: about 4 when linear, 16 when not."""

    def took(n: int) -> float:
        text = "eyJ" * (n // 3)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            holds_credential(text)
            best = min(best, time.perf_counter() - started)
        return best

    assert took(64_000) / took(16_000) < 8
