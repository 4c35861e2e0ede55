"""Build the deps layer for the Lambda runtime: python3.12 on arm64 (Graviton), manylinux
aarch64 wheels only.

    python layers/deps/build.py            # -> layers/deps/build/python/...
    python layers/deps/build.py --force    # rebuild even if nothing changed

Never the build machine's Python or architecture: pip is told the target platform, version and
implementation, and takes binary wheels only. boto3/botocore (and what only they need) come with
the Lambda runtime, so they are removed from the layer.

Downloading the wheels needs the package index (PyPI). A build is reused as long as its inputs
(requirements.txt, the target platform and this script) are unchanged: a stamp beside it holds
their digest, written only after a build succeeded, so `make package` runs offline once built.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
TARGET = HERE / "build" / "python"
REQUIREMENTS = HERE / "requirements.txt"
# arm64 (aarch64): every function runs on Graviton (`architecture: arm64` in serverless.yml).
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.12"
IMPLEMENTATION = "cp"
PROVIDED_BY_RUNTIME = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "python_dateutil",
    "urllib3",
    "six",
)
Installer = Callable[[Path, Path], None]


def pip_install(requirements: Path, target: Path) -> None:
    """The wheels for the Lambda runtime, from the package index."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-qq",
            "--disable-pip-version-check",
            "--platform",
            PLATFORM,
            "--python-version",
            PYTHON_VERSION,
            "--implementation",
            IMPLEMENTATION,
            "--only-binary=:all:",
            "--no-compile",
            "--target",
            str(target),
            "-r",
            str(requirements),
        ],
        check=True,
    )


def inputs_digest(requirements: Path) -> str:
    """What the layer is built from: the requirements, the target, and how (this script)."""
    digest = hashlib.sha256()
    for part in (
        requirements.read_bytes(),
        f"{PLATFORM} {PYTHON_VERSION} {IMPLEMENTATION}".encode(),
        Path(__file__).read_bytes(),
    ):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def build(
    target: Path = TARGET,
    requirements: Path = REQUIREMENTS,
    install: Installer = pip_install,
    force: bool = False,
) -> bool:
    """Build the layer into `target` unless an identical build is there; True if it built."""
    stamp = target.parent / "inputs.sha256"
    wanted = inputs_digest(requirements)
    if not force and target.is_dir() and stamp.is_file() and stamp.read_text().strip() == wanted:
        return False
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.mkdir(parents=True)
    install(requirements, target)
    for entry in target.iterdir():
        base = entry.name.split("-")[0].lower()
        if base in PROVIDED_BY_RUNTIME or entry.name in ("bin", "six.py"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    stamp.write_text(wanted + "\n")  # last: an interrupted build is never reused
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    built = build(force="--force" in args)
    size = sum(f.stat().st_size for f in TARGET.rglob("*") if f.is_file())
    state = "built" if built else "up to date (same requirements and target; --force rebuilds)"
    print(f"deps layer: {TARGET} ({size / 1e6:.1f} MB unzipped), {state}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
