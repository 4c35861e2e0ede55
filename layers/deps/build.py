"""Build the deps layer for the Lambda runtime: python3.12 on x86_64, manylinux wheels only.

    python layers/deps/build.py            # -> layers/deps/build/python/...

Never the build machine's Python or architecture: pip is told the target platform, version and
implementation, and takes binary wheels only. boto3/botocore (and what only they need) come with
the Lambda runtime, so they are removed from the layer.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
TARGET = HERE / "build" / "python"
PLATFORM = "manylinux2014_x86_64"
PYTHON_VERSION = "3.12"
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


def main() -> int:
    if TARGET.parent.exists():
        shutil.rmtree(TARGET.parent)
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
            "cp",
            "--only-binary=:all:",
            "--no-compile",
            "--target",
            str(TARGET),
            "-r",
            str(HERE / "requirements.txt"),
        ],
        check=True,
    )
    for entry in TARGET.iterdir():
        base = entry.name.split("-")[0].lower()
        if base in PROVIDED_BY_RUNTIME or entry.name in ("bin", "six.py"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    size = sum(f.stat().st_size for f in TARGET.rglob("*") if f.is_file())
    print(f"deps layer: {TARGET} ({size / 1e6:.1f} MB unzipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
