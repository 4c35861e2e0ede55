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
    assert "Bearer ag_live_[REDACTED]" in masked and "ab" * 32 in masked
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


@pytest.mark.parametrize(
    "line",
    [
        'fatal: [web1]: FAILED! => {"stdout": "token issued:\\\\n{J}"}',  # Ansible's JSON \n
        "x\t{J}",
        "uri: https://api/cb?auth=Bearer%20{J}",
        "...?next=%2Fapp%3Fid_token%3D{J}",
        "--id-token-{J}",
        "TOKEN_{J}",
    ],
)
def test_a_jwt_glued_to_what_precedes_it_is_masked_and_refused(line: str) -> None:
    """Round 5: a JWT after a letter, digit, `_` or `-` (as Ansible prints a registered stdout)
    was stored whole in a run's log."""
    text = line.replace("{J}", JWT)
    assert holds_credential(text)
    masked = redact_credentials(text)
    assert JWT[:30] not in masked and JWT.split(".")[1][:20] not in masked, masked


def test_a_line_with_one_credential_masked_keeps_no_hidden_one() -> None:
    hidden = TOKEN[:20] + "\u200b" + TOKEN[20:]
    assert redact_credentials(f"A={TOKEN} B={hidden}") == "[REDACTED]"


def test_a_token_cut_by_the_line_limit_is_not_left_to_be_completed() -> None:
    """Round 5: a cut inside a token's checksum left prefix + 52 characters, enough to rebuild
    it (CRC32 is public)."""
    from sculptops.domain.logs import LINE_MAX_CHARS, TRUNCATED, clip

    for keep in range(len(TOKEN) - 20, len(TOKEN)):
        pad = "x " * ((LINE_MAX_CHARS - len(TRUNCATED) - keep) // 2)
        pad += " " * (LINE_MAX_CHARS - len(TRUNCATED) - keep - len(pad))
        line = pad + TOKEN + " more " * 50
        cut = clip(redact_credentials(line))
        assert TOKEN[8:30] not in cut and cut.endswith(TRUNCATED), keep
        raw_cut = clip(line)  # clipped alone (what an old agent sends): the run at the cut goes
        assert TOKEN[8:30] not in raw_cut, keep


@pytest.mark.parametrize(
    "line",
    [
        "using token.{J}",
        "file.txt.{J}",
        "{J}{J}",
        "{J}.{J}",
        "foo.{J}",
        "{J}",
    ],
)
def test_a_jwt_after_a_dot_or_glued_to_another_is_masked(line: str) -> None:
    """Round 6: the dot before a header was taken for the one before the payload (a JWT after
    `token.` went through), and the second of two glued JWTs stayed readable."""
    text = line.replace("{J}", JWT)
    assert holds_credential(text)
    masked = redact_credentials(text)
    _header, payload, signature = JWT.split(".")
    assert payload[:20] not in masked and signature not in masked, masked
    assert masked.count("[REDACTED]") >= 1


def test_ordinary_dotted_text_and_base64_stay() -> None:
    for text in [
        "x.eyJohnsonFamilyTrust someone.eyJosephine1",
        "session=eyJhbGc.Zb12345678.sig",  # a payload that is no JSON object
        "a.b.c.d.e.f",
        ".eyJ12345678",
    ]:
        assert redact_credentials(text) == text and not holds_credential(text), text


def test_a_credential_wrapped_across_log_lines_or_json_escapes_is_masked() -> None:
    """Round 7: Ansible prints a multi-line stdout as JSON `\\n` escapes, and `stdout_lines`
    one piece per line; a viewer rejoined a JWT and a token from the pieces."""
    from sculptops.domain.redaction import redact_lines

    pieces = [JWT[i : i + 64] for i in range(0, len(JWT), 64)]
    escaped = 'fatal: [web1]: FAILED! => {"stdout": "' + "\\n".join(pieces) + '"}'
    assert redact_credentials(escaped) == "[REDACTED]"
    assert holds_credential(escaped)
    lines = ["TASK [show] ***", *pieces, "PLAY RECAP ***"]
    masked = redact_lines(lines)
    assert masked[0] == lines[0] and masked[-1] == lines[-1]
    assert all(m == "[REDACTED]" for m in masked[1:-1]), masked
    token_lines = ["ok: [web1] => {", f'    "stdout": "{TOKEN[:64]}', f'{TOKEN[64:]}"', "}"]
    out = redact_lines(token_lines)
    assert TOKEN[8:60] not in "".join(out), out  # the body was on the first piece


def test_a_token_with_its_checksum_cut_off_is_masked_in_a_log_line() -> None:
    cut = TOKEN[:62]  # the whole body, 4 of the 6 checksum characters
    assert TOKEN[8:60] not in redact_credentials(f'"stdout": "{cut}')
    assert redact_credentials("ansible_python_interpreter: /usr/bin/python3") == (
        "ansible_python_interpreter: /usr/bin/python3"
    )


def test_a_jwt_without_its_header_is_a_credential() -> None:
    """Round 7: every user knows the identity provider's header; payload and signature alone
    rebuilt another user's JWT."""
    headless = JWT.split(".", 1)[1]
    assert holds_credential(f"x {headless} y")
    assert headless not in redact_credentials(f"token: {headless}")
    for text in ["copy eyJhbGciOiJIUzI1NiJ9.txt", "eyJhdXRocyI6eyJyZWdpc3RyeSI6e30sImEiOjF9fQ"]:
        assert not holds_credential(text) and redact_credentials(text) == text


def test_a_token_wrapped_onto_an_indented_or_quoted_line_is_masked() -> None:
    """Round 8: indentation, trailing spaces, quotes, `|` or colour codes at the wrap broke
    the join, and a first piece shorter than 30 characters passed."""
    from sculptops.domain.redaction import redact_lines

    for first, second in [
        (f"ok: [web1] => msg: token is {TOKEN[:30]}", f"                  {TOKEN[30:]}"),
        (f"token: {TOKEN[:37]}   ", f"    {TOKEN[37:]}"),
        (f'"{TOKEN[:25]}"', f'"{TOKEN[25:]}"'),
        (f"| {TOKEN[:33]} |", f"| {TOKEN[33:]} |"),
        (f"\x1b[0;32m{TOKEN[:40]}\x1b[0m", f"\x1b[0;32m{TOKEN[40:]}\x1b[0m"),
    ]:
        out = redact_lines(["TASK [x] ***", first, second, "PLAY RECAP ***"])
        assert out == ["TASK [x] ***", "[REDACTED]", "[REDACTED]", "PLAY RECAP ***"], out


def test_ordinary_log_lines_are_left_alone() -> None:
    """Round 8: the shape rule and the join masked hashes, release names and pytest ids."""
    from sculptops.domain.redaction import redact_lines

    sha = "9fceb02d0ae598e95dc970b74767f19372d61af8"
    lines = [
        f"changed: [web1] => (item=myapp_{sha}.tar.gz)",
        f"/opt/releases/release_{sha}",
        "sha256_" + "ab12" * 16,
        "web_1_" + "0f" * 16,
        "cache_key_linuxX64Python311Requirements2026",
        f"{'a1b2' * 16}  ./bin/node_exporter",
        f"{'c3d4' * 16}  ./bin/blackbox_exporter",
        "PASSED tests/test_api.py::test_shouldReturnNotFoundWhenUserIsMissing",
        "ok: [h] => item=group_vars",
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 is a fine word",
    ]
    assert redact_lines(lines) == lines
