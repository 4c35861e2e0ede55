"""`make bench`: every benchmark in one run, written to build/BENCHMARKS.md (untracked).

`make bench UPDATE=1` (`python -m tests.bench.run --update`) rewrites the tracked
docs/BENCHMARKS.md instead: the figures the README and docs quote.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from tests.bench import (
    auth_timing,
    authorizer_cpu,
    authorizer_reads,
    cold_start,
    cost,
    requests,
    run_start,
    throughput,
)

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


def output_path(argv: list[str]) -> Path:
    """docs/BENCHMARKS.md with --update only: a plain run leaves the tracked file alone."""
    if "--update" in argv:
        return ROOT / "docs" / "BENCHMARKS.md"
    return ROOT / "build" / "BENCHMARKS.md"


def main(argv: list[str] | None = None) -> int:
    out = output_path(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    sections: list[str] = []
    print("cold starts...", file=sys.stderr, flush=True)
    cold = cold_start.measure()
    sections.append(
        "## Cold start per function\n\nFresh process per sample, median of 7, "
        "import of the handler module (Lambda's init phase; for the authorizer this includes "
        "creating its DynamoDB client, so that its first request does not) then one "
        "invocation against a seeded moto server (`python -m tests.bench.cold_start`).\n\n"
        + cold_start.table(cold)
    )
    print("authorizer CPU...", file=sys.stderr, flush=True)
    cpu = authorizer_cpu.measure()
    sections.append(
        "## Authorizer per request, warm\n\nCPU time (`time.process_time`) per "
        "authorization with the stores answered in-process, against the bound "
        "(`python -m tests.bench.authorizer_cpu`).\n\n" + authorizer_cpu.table(cpu)
    )
    print("failed-authentication timing...", file=sys.stderr, flush=True)
    timing = auth_timing.measure()
    sections.append(
        "## Failed authentication: the same time whatever the reason\n\n"
        "Wall time of `authenticate` against moto in its own process, median (and "
        f"interquartile range) of {auth_timing.SAMPLES} interleaved samples "
        "(`python -m tests.bench.auth_timing`).\n\n| credential | median ms | IQR ms |\n"
        "|---|---|---|\n"
        + "\n".join(
            f"| {k} | {v:.2f} | {timing[k + ' (IQR)']:.2f} |"
            for k, v in timing.items()
            if not k.endswith("(IQR)")
        )
    )
    print("DynamoDB requests...", file=sys.stderr, flush=True)
    counts, timings = requests.measure()
    sections.append(
        "## DynamoDB requests per operation\n\nCounted at botocore's API-call "
        "boundary on moto in-process (`python -m tests.bench.requests`).\n\n"
        + requests.table(counts, timings)
    )
    print("authorizer round trips...", file=sys.stderr, flush=True)
    trips = authorizer_reads.measure()
    one_trip = trips["personal token, tenant route (/api/v1/demo/me)"]["after"]["round trips"]
    sections.append(
        "## Authorizer round trips per authorization\n\nHTTP requests to DynamoDB per "
        "authorization, before (one read after another, as the route functions' composition "
        "reads) and after (the authorizer's: the token, its owner and the request's tenant in "
        "one BatchGetItem), on moto in-process "
        "(`python -m tests.bench.authorizer_reads`).\n\n" + authorizer_reads.run(lambda: trips)
    )
    sections.append("## Cost per million\n\n" + cost.table(counts))
    print("throughput...", file=sys.stderr, flush=True)
    load = throughput.measure(8)
    profile = throughput.profile_one_request()
    sections.append(
        "## Local stack throughput\n\n`GET /api/v1/me` with a token through the "
        "local gateway (`python -m tests.bench.throughput`), 8 s per level.\n\n"
        + throughput.table(load, profile)
    )
    print("run start and following...", file=sys.stderr, flush=True)
    starts = run_start.measure()
    sections.append(
        "## A run starts when it is triggered; following a quiet run\n\n"
        "On a local stack with its embedded agents (`python -m tests.bench.run_start`).\n\n"
        + run_start.table(starts)
    )
    took = time.monotonic() - started
    header = (
        f"# Benchmarks\n\nMachine: {machine()}. Date: "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC. Command: `make bench` "
        f"({took:.0f} s). Ratios are from one run; absolute times on this shared machine "
        "are noisy.\n"
    )
    ratio = float(cold["authorizer"]["import_cpu_ms"]) / float(cold["tokens"]["import_cpu_ms"])
    verdict = "met" if ratio <= 0.5 else "missed"
    sdk = float(cold["authorizer"]["import_cpu_ms"]) / float(
        cold["sdk: boto3.client('dynamodb')"]["import_cpu_ms"]
    )
    targets = cost.TARGETS.replace(
        "RATIO_VERDICT", f"**{verdict}** ({ratio:.2f} in this run)"
    ).replace("SDK_VERDICT", f"**{'met' if sdk <= 1.2 else 'missed'}** ({sdk:.2f} in this run)")
    targets = targets.replace(
        "ROUNDTRIP_VERDICT",
        f"**{'met' if one_trip == 1 and not authorizer_reads.check(trips) else 'missed'}** "
        f"({one_trip} in this run)",
    )
    text = header + "\n" + "\n\n".join(sections) + "\n\n" + targets + "\n"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
