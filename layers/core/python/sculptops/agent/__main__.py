"""`python -m sculptops.agent [OPTIONS]` is `sculptops agent [OPTIONS]`.

The command line belongs to the CLI (a layer above the agent, which never imports it), so this
hands the process over to it, as the local stack starts its agents: same process, same stdin
(for --token-stdin), same signals.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    argv = [sys.executable, "-m", "sculptops.cli.main", "agent", *sys.argv[1:]]
    os.execv(sys.executable, argv)  # noqa: S606 (our own interpreter, no shell)


if __name__ == "__main__":
    main()
