"""A stand-in for the Lambda runtime: load a function's handler, invoke it as Lambda would.

Each handler module is imported once from its file, as in a warm container; each invocation runs
in a worker thread with an event loop of its own and a context object shaped like Lambda's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ACCOUNT = "000000000000"
TIMEOUT_SECONDS = 30
Handler = Callable[[dict[str, Any], Any], Any]


class HandlerLoader:
    """Imports each function's handler module once, from its file, like a Lambda container."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._cache: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def get(self, spec: str) -> Handler:
        with self._lock:
            if spec not in self._cache:
                module_path, _, attr = spec.rpartition(".")
                file = self._root / f"{module_path}.py"
                name = "sculptops_fn_" + re.sub(r"\W", "_", module_path)
                mod_spec = importlib.util.spec_from_file_location(name, file)
                if mod_spec is None or mod_spec.loader is None:
                    raise ImportError(f"cannot load {file}")
                module = importlib.util.module_from_spec(mod_spec)
                sys.modules[name] = module
                mod_spec.loader.exec_module(module)
                self._cache[spec] = getattr(module, attr)
            return self._cache[spec]


def invoke(handler: Handler, event: dict[str, Any], context: Any) -> Any:
    """Call a handler in a worker thread with an event loop of its own, as Lambda has."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return handler(event, context)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def lambda_context(function: str) -> SimpleNamespace:
    """The context argument of one invocation of `function`."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    return SimpleNamespace(
        function_name=f"sculptops-local-{function}",
        function_version="$LATEST",
        aws_request_id=secrets.token_hex(16),
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:local:{ACCOUNT}:function:sculptops-local-{function}",
        get_remaining_time_in_millis=lambda: int((deadline - time.monotonic()) * 1000),
    )
