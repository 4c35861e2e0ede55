"""Schemathesis against the published OpenAPI document of a running local stack.

Authenticated, with the checks not_a_server_error, response_schema_conformance,
status_code_conformance and ignored_auth. Left out of the main run: DELETE operations
(revoke-all would revoke the very token the run uses) and PUT token-policy (a boundary value
such as a 1-day maximum lifetime would make the run's 90-day token refused, so that every later
operation answers only 401); the policy is fuzzed alone, last.

Sizes (tests/budget.py): `make test` runs every phase on the canonical surface (/api/v1) and
examples + fuzzing on the /api compatibility surface; `make reliability` every phase on both.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.budget import budget
from tests.stack import Stack, start_stack, stop_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,ignored_auth"
POLICY = r"^PUT .*/settings/token-policy$"
ALL_PHASES = "examples,coverage,fuzzing"
CONFIG = Path(__file__).parent / "data" / "schemathesis.toml"  # {tenant_id} is the seeded "demo"


def _schemathesis(stack: Stack, phases: str, examples: int, *selection: str) -> str:
    cli = Path(sys.executable).parent / "schemathesis"
    out = subprocess.run(
        [
            str(cli),
            "--config-file",
            str(CONFIG),
            "run",
            f"{stack.url}/api/v1/openapi.json",
            "--url",
            stack.url,
            "-H",
            f"Authorization: Bearer {stack.token}",
            "--checks",
            CHECKS,
            "--phases",
            phases,
            "--max-examples",
            str(examples),
            *selection,
            "--seed",
            "20261122",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    summary = out.stdout[-3000:]
    assert out.returncode == 0, summary
    generated = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert generated, summary
    print(f"schemathesis {phases} {' '.join(selection)}: {generated.group(0)}")
    return summary


def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, agents=False)
    try:
        skip = ["--exclude-method", "DELETE", "--exclude-name-regex", POLICY]
        _schemathesis(stack, ALL_PHASES, 5, "--include-path-regex", "^/api/v1/", *skip)
        compat = ["--exclude-path-regex", "^/api/v1/", *skip]
        _schemathesis(stack, budget("examples,fuzzing", ALL_PHASES), budget(3, 5), *compat)
        _schemathesis(stack, ALL_PHASES, 5, "--include-name-regex", POLICY)
    finally:
        stop_stack(stack)
