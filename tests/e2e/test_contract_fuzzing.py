"""Schemathesis against the published OpenAPI document of a running local stack.

Both surfaces (/api/v1 and /api), authenticated, with the checks not_a_server_error,
response_schema_conformance, status_code_conformance and ignored_auth. DELETE operations are
left out: revoke-all would revoke the very token the run uses.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stack import start_stack, stop_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MAX_EXAMPLES = "5"


def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, agents=False)
    try:
        cli = Path(sys.executable).parent / "schemathesis"
        out = subprocess.run(
            [
                str(cli),
                "run",
                f"{stack.url}/api/v1/openapi.json",
                "--url",
                stack.url,
                "-H",
                f"Authorization: Bearer {stack.token}",
                "--checks",
                "not_a_server_error,response_schema_conformance,"
                "status_code_conformance,ignored_auth",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                MAX_EXAMPLES,
                "--exclude-method",
                "DELETE",
                "--seed",
                "20261122",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        stop_stack(stack)
    summary = out.stdout[-3000:]
    assert out.returncode == 0, summary
    generated = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert generated, summary
    print(f"schemathesis: {generated.group(0)}")
