"""`make layers` reuses a deps layer built from the same inputs, and rebuilds when they change.

The installer is a stand-in for pip (which needs the package index): these tests are about
when the build runs, not about the wheels (test_packaging checks those).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[2]


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deps_build", ROOT / "layers/deps/build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


class FakePip:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, requirements: Path, target: Path) -> None:
        self.calls += 1
        (target / "pydantic").mkdir()
        (target / "pydantic" / "__init__.py").write_text("")
        (target / "boto3").mkdir()  # the runtime's own: removed from the layer


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("pydantic==2.14.3\n")
    return path


def test_a_second_build_with_the_same_inputs_reuses_the_first(
    tmp_path: Path, requirements: Path
) -> None:
    # Given a layer built once
    pip, target = FakePip(), tmp_path / "build" / "python"
    assert build.build(target, requirements, pip) is True
    # When it is built again with nothing changed
    rebuilt = build.build(target, requirements, pip)
    # Then the index is not asked again and the layer is still there, without boto3
    assert rebuilt is False and pip.calls == 1
    assert (target / "pydantic" / "__init__.py").exists()
    assert not (target / "boto3").exists()


def test_changed_requirements_or_force_rebuild(tmp_path: Path, requirements: Path) -> None:
    pip, target = FakePip(), tmp_path / "build" / "python"
    build.build(target, requirements, pip)
    requirements.write_text("pydantic==2.14.4\n")
    assert build.build(target, requirements, pip) is True
    assert build.build(target, requirements, pip, force=True) is True
    assert pip.calls == 3


def test_an_interrupted_build_is_not_reused(tmp_path: Path, requirements: Path) -> None:
    # Given a build whose install failed half-way
    target = tmp_path / "build" / "python"

    def broken(_: Path, into: Path) -> None:
        (into / "half").mkdir()
        raise OSError("network gone")

    with pytest.raises(OSError):
        build.build(target, requirements, broken)
    # When it is built again, then it really builds
    pip = FakePip()
    assert build.build(target, requirements, pip) is True and pip.calls == 1
    assert not (target / "half").exists()
