"""`make bench`: every benchmark in one run, written to docs/BENCHMARKS.md."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from tests.bench import authorizer_cpu, cold_start, cost, requests, throughput

ROOT = Path(__file__).parents[2]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, commit {commit}"
    )


def main() -> int:
    started = time.monotonic()
    sections: list[str] = []
    print("cold starts...", file=sys.stderr, flush=True)
    cold = cold_start.measure()
    sections.append(
        "## Cold start per function\n\nFresh process per sample, median of 7, "
        "import of the handler module then one invocation against a seeded moto "
        "server (`python -m tests.bench.cold_start`).\n\n" + cold_start.table(cold)
    )
    print("authorizer CPU...", file=sys.stderr, flush=True)
    cpu = authorizer_cpu.measure()
    sections.append(
        "## Authorizer per request, warm\n\nCPU time (`time.process_time`) per "
        "authorization with the stores answered in-process, against the bound "
        "(`python -m tests.bench.authorizer_cpu`).\n\n" + authorizer_cpu.table(cpu)
    )
    print("DynamoDB requests...", file=sys.stderr, flush=True)
    counts, timings = requests.measure()
    sections.append(
        "## DynamoDB requests per operation\n\nCounted at botocore's API-call "
        "boundary on moto in-process (`python -m tests.bench.requests`).\n\n"
        + requests.table(counts, timings)
    )
    sections.append("## Cost per million\n\n" + cost.table(counts, cold))
    print("throughput...", file=sys.stderr, flush=True)
    load = throughput.measure(8)
    profile = throughput.profile_one_request()
    sections.append(
        "## Local stack throughput\n\n`GET /api/v1/me` with a token through the "
        "local gateway (`python -m tests.bench.throughput`), 8 s per level.\n\n"
        + throughput.table(load, profile)
    )
    took = time.monotonic() - started
    header = (
        f"# Benchmarks\n\nMachine: {machine()}. Date: "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC. Command: `make bench` "
        f"({took:.0f} s). Ratios are from one run; absolute times on this shared machine "
        "are noisy.\n"
    )
    text = header + "\n" + "\n\n".join(sections) + "\n\n" + cost.TARGETS + "\n"
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "BENCHMARKS.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
