"""Failed-authentication timing: unknown vs revoked vs expired tokens, medians of wall time.

Against a moto server in its own process (real HTTP round trips), through `authenticate`.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from sculptops.domain import token_format
from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.identity import CredentialKind, Principal
from sculptops.services.tokens import NewToken
from tests.bench.common import seeded_moto

SAMPLES = 200


def measure() -> dict[str, float]:
    backend, _ = seeded_moto()
    try:
        from sculptops.bootstrap import container

        c = container()
        user = c.identity_store.get_user("admin@demo")
        caller = c.authenticator.act_in(Principal(CredentialKind.JWT, user.id, user), None)
        deleted = c.tokens.create(caller, NewToken(name="d"))
        c.tokens.delete(caller, deleted.token.id)
        expired = c.tokens.create(caller, NewToken(name="e", expires_in_days=1))
        item = c.token_store._m.get(expired.token.digest)  # type: ignore[attr-defined]
        item.update(actions=[c.token_store._m.expires_at.set(c.clock.now() - timedelta(days=1))])  # type: ignore[attr-defined]
        cases = {
            "unknown well-formed token": token_format.generate("ag_live_"),
            "revoked (deleted) token": deleted.value,
            "expired token": expired.value,
            "malformed token": "ag_live_" + "A" * 36,
        }
        out: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(SAMPLES):  # interleaved, so drift hits every case alike
            for name, value in cases.items():
                started = time.perf_counter()
                try:
                    c.authenticator.authenticate(value)
                except NotAuthenticated:
                    pass
                out[name].append((time.perf_counter() - started) * 1000)
        return {k: statistics.median(v) for k, v in out.items()} | {
            f"{k} (IQR)": statistics.quantiles(v, n=4)[2] - statistics.quantiles(v, n=4)[0]
            for k, v in out.items()
        }
    finally:
        backend.stop()


if __name__ == "__main__":
    for k, v in measure().items():
        print(f"{k}: {v:.3f} ms")
