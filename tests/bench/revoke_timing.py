"""POST /api/v1/credentials/revoke: valid vs unknown vs malformed values, medians of wall time.

Two figures for each kind of value, interleaved so that drift hits every kind alike:
- the use case alone (`LeakedTokenService.revoke`, no answer floor) against a moto server in
  its own process: what the floor has to hide (a valid value's writes);
- the whole route over HTTP on a local stack (`sculptops serve`): what a caller sees.

    .venv/bin/python -m tests.bench.revoke_timing
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from sculptops.domain import token_format
from sculptops.domain.identity import CredentialKind, Principal, RequestOrigin
from sculptops.services.tokens import NewToken
from tests.bench.common import seeded_moto

SAMPLES = 30
KINDS = ("valid", "unknown", "malformed")


def _malformed() -> str:
    value = token_format.generate("ag_live_")
    return value[:-1] + ("A" if value[-1] != "A" else "B")


def _summary(out: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    """kind -> (median ms, interquartile range ms)."""
    return {
        k: (statistics.median(v), statistics.quantiles(v, n=4)[2] - statistics.quantiles(v, n=4)[0])
        for k, v in out.items()
    }


def use_case() -> dict[str, tuple[float, float]]:
    backend, _ = seeded_moto()
    os.environ["SCULPTOPS_EVENTS"] = "log"
    try:
        from sculptops.bootstrap import container

        container.cache_clear()
        c = container()
        user = c.identity_store.get_user("member@demo")
        assert user is not None
        caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), None)
        out: dict[str, list[float]] = {k: [] for k in KINDS}
        for _ in range(SAMPLES):
            values = {
                "valid": c.tokens.create(caller, NewToken(name="b", expires_in_days=30)).value,
                "unknown": token_format.generate("ag_live_"),
                "malformed": _malformed(),
            }
            for kind in KINDS:
                started = time.perf_counter()
                c.leaks.revoke([values[kind]], RequestOrigin())
                out[kind].append((time.perf_counter() - started) * 1000)
        return _summary(out)
    finally:
        backend.stop()
        os.environ.pop("SCULPTOPS_EVENTS", None)


def over_http() -> dict[str, tuple[float, float]]:
    from tests.stack import start_stack, stop_stack

    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp), agents=False)
        try:
            out: dict[str, list[float]] = {k: [] for k in KINDS}
            with httpx.Client(base_url=stack.url, timeout=30) as http:
                auth = {"Authorization": f"Bearer {stack.token}"}
                for _ in range(SAMPLES):
                    made = http.post(
                        "/api/v1/demo/tokens/",
                        json={"name": "b", "expires_in_days": 30},
                        headers=auth,
                    )
                    values = {
                        "valid": made.json()["token"],
                        "unknown": token_format.generate("ag_live_"),
                        "malformed": _malformed(),
                    }
                    for kind in KINDS:
                        started = time.perf_counter()
                        r = http.post(
                            "/api/v1/credentials/revoke", json={"credentials": [values[kind]]}
                        )
                        out[kind].append((time.perf_counter() - started) * 1000)
                        assert r.status_code == 202, r.text
            return _summary(out)
        finally:
            stop_stack(stack)


if __name__ == "__main__":
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    for title, figures in (
        ("use case alone, no answer floor (moto server)", use_case()),
        ("POST /api/v1/credentials/revoke over HTTP (local stack, 250 ms floor)", over_http()),
    ):
        print(f"{title}, {SAMPLES} interleaved samples each:")
        for kind, (med, iqr) in figures.items():
            print(f"  {kind:9} median {med:7.1f} ms   IQR {iqr:5.1f} ms")
