"""The import contracts (pyproject's [tool.importlinter], `make lint`) fail when broken.

Each case copies the package to a temporary directory, breaks one rule in the copy and runs
`lint-imports` with the repository's own contracts against the copy (PYTHONPATH first).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "layers" / "core" / "python" / "sculptops"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

LAYERS = "Layers:"
CORE = "The core (domain, services, ports) imports no adapter"
ACYCLIC = "No import cycles"
# module to edit, line to add, the contracts that must break
BREAKS = {
    "sdk-in-domain": ("domain/tokens.py", "import boto3", {CORE}),
    "adapter-in-service": ("services/tokens.py", "import sculptops.adapters.clock", {LAYERS, CORE}),
    "agent-uses-cli": ("agent/runner.py", "from sculptops.cli import main", {LAYERS, ACYCLIC}),
    # The cycle that was: the docs route in a router, importing the document of all routers.
    "router-imports-the-document": (
        "http/routers/identity.py",
        "from sculptops.http.openapi import openapi_document",
        {ACYCLIC},
    ),
}


def _copy(tmp_path: Path) -> Path:
    """The package and the contracts, as `lint-imports` finds them from `tmp_path`."""
    shutil.copytree(
        PACKAGE,
        tmp_path / "src" / "sculptops",
        ignore=shutil.ignore_patterns("__pycache__", "static"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # Wide, so that no contract's name is wrapped over two lines of the report.
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_untouched_copy_keeps_every_contract(tmp_path):
    # Given the package as it is
    root = _copy(tmp_path)
    # When lint-imports checks it
    result = _lint_imports(root)
    # Then every contract is kept
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_a_forbidden_import_breaks_a_contract(tmp_path, case):
    # Given a copy of the package with one forbidden import added
    module, line, contracts = BREAKS[case]
    root = _copy(tmp_path)
    path = root / "src" / "sculptops" / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    # When lint-imports checks it
    result = _lint_imports(root)
    # Then it fails, and exactly the expected contracts are broken
    assert result.returncode == 1, result.stdout + result.stderr
    broken = {
        c
        for c in (LAYERS, CORE, ACYCLIC)
        for line in result.stdout.splitlines()
        if line.startswith(c) and line.endswith("BROKEN")
    }
    assert broken == contracts, result.stdout
