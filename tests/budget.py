"""How big the long-running tests are.

`make test` keeps the whole suite within five minutes on a 2-core machine: every test runs, the
slow ones at a size that still finds what they are for. `make reliability` exports
`SCULPTOPS_TEST_BUDGET=full` and runs the tests marked `slow` at full size (more state-machine
examples, contract fuzzing of both surfaces in every phase, bench-sized loops).
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")


def is_full() -> bool:
    return os.environ.get("SCULPTOPS_TEST_BUDGET", "quick") == "full"


def budget(quick: T, full: T) -> T:
    """`full` under `make reliability`, else `quick`."""
    return full if is_full() else quick
