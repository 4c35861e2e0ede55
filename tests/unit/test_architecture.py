"""The core is cloud-free: domain, services and ports import no SDK, ORM, web stack or event."""

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).parents[2] / "layers" / "core" / "python" / "sculptops"
BANNED = {
    "boto3",
    "botocore",
    "pynamodb",
    "fastapi",
    "starlette",
    "pydantic",
    "mangum",
    "httpx",
    "jwt",
    "sculptops.adapters",
    "sculptops.http",
    "sculptops.aws",
    "sculptops.local",
}
CORE_FILES = [
    *sorted((CORE / "domain").glob("*.py")),
    *sorted((CORE / "services").glob("*.py")),
    *sorted((CORE / "ports").glob("*.py")),
]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.name)
def test_core_module_imports_nothing_of_the_cloud(path):
    bad = {n for n in _imports(path) for b in BANNED if n == b or n.startswith(b + ".")}
    assert not bad, f"{path.name} imports {bad}"


def test_no_module_reads_os_environ_outside_settings_and_local():
    offenders = []
    for path in CORE.rglob("*.py"):
        rel = path.relative_to(CORE).as_posix()
        if rel in {"settings.py"} or rel.startswith(("local/", "cli/", "agent/")):
            continue
        if "os.environ" in path.read_text() or "getenv" in path.read_text():
            offenders.append(rel)
    assert offenders == []
