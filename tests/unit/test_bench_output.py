"""`make bench` leaves the tracked docs/BENCHMARKS.md alone unless asked (UPDATE=1)."""

from __future__ import annotations

import subprocess

from tests.bench.run import ROOT, output_path


def test_a_plain_run_writes_an_untracked_file() -> None:
    out = output_path([])
    assert out == ROOT / "build" / "BENCHMARKS.md"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(out)], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0, f"{out} is not ignored by git"


def test_update_rewrites_the_tracked_file() -> None:
    assert output_path(["--update"]) == ROOT / "docs" / "BENCHMARKS.md"
