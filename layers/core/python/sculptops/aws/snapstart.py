"""Lambda SnapStart: what each function does after its snapshot is restored.

With SnapStart, Lambda runs a function's init once (when a version is published), snapshots the
memory, and starts every new execution environment from that same snapshot. What init made is
then shared by every copy (AWS, "Handling uniqueness with Lambda SnapStart"): nothing random or
unique may come from it, and no network connection made then is alive after a restore.

So after a restore (`snapshot_restore_py.register_after_restore`, part of the Python managed
runtime, not on PyPI: imported guarded, so that local runs and tests work without it) every
function:

- drops its AWS clients (pynamodb's connections, the botocore clients of the outbound adapters,
  and anything with an `after_restore()` method), so that each is made again, with fresh
  connections, on first use; the authorizer then builds its two clients at once (`warm`);
- reseeds the `random` module (botocore's retry jitter, anything else drawing from it), whose
  state the snapshot froze. `secrets`, `uuid4` and `os.urandom` read the kernel and are safe.

The token pepper and the keys derived from it are secrets that are the same everywhere: they
stay. Each handler calls `enable(container)` once at import; `restored()` is what the
runtime calls, and what the tests call to simulate a restore.
"""

from __future__ import annotations

import inspect
import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass
from typing import Any

log = logging.getLogger(__name__)

_hooks: list[Callable[[], None]] = []
_runtime: list[object] = []  # the runtime's hook once `restored` is registered with it
_lock = threading.Lock()
# How deep `reset_clients` looks from the container: container -> service -> store -> model.
_DEPTH = 4


def runtime_hook() -> Callable[[Callable[[], None]], object] | None:
    """The runtime's `register_after_restore`, or None outside a SnapStart runtime."""
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
    except ImportError:
        return None
    hook: Callable[[Callable[[], None]], object] = register_after_restore
    return hook


def after_restore(fn: Callable[[], None]) -> Callable[[], None]:
    """Run `fn` after every restore (in the order registered); usable as a decorator."""
    with _lock:
        _hooks.append(fn)
    return fn


def restored() -> None:
    """What the runtime calls after a restore: every registered hook, each even if one fails
    (a failing hook is logged by name; the next request makes what it needs anyway)."""
    random.seed()  # from os.urandom: each restored copy draws its own sequence
    for hook in list(_hooks):
        try:
            hook()
        except Exception as exc:
            log.error("after-restore hook %s failed: %s", _name(hook), type(exc).__name__)


def enable(container: Callable[[], object], warm: Callable[[], None] | None = None) -> bool:
    """Register, once per process, the hooks of a function built around `container` (the
    process-wide one, `sculptops.bootstrap.container`): after a restore, reset the clients of
    the container if init built it, then `warm()` (the authorizer makes its clients at once).

    Returns whether the runtime's hook was found (False locally and in tests: the hooks are
    registered all the same, so that `restored()` simulates a restore)."""

    def reset() -> None:
        info = getattr(container, "cache_info", None)
        if info is not None and info().currsize == 0:
            return  # not built during init: it will be built, with new clients, on first use
        reset_clients(container())

    after_restore(reset)
    if warm is not None:
        after_restore(warm)
    hook = runtime_hook()
    with _lock:
        if hook is None or _runtime:
            return hook is not None
        _runtime.append(hook)
    hook(restored)
    return True


def reset_clients(root: object) -> int:
    """Drop every AWS client reachable from `root` so that each is made again on first use;
    returns how many were dropped.

    - a pynamodb Model class: its table connection (`_connection`, made again on next use);
    - a pynamodb Connection: its botocore client and session (per thread);
    - an adapter holding a client made by a factory (`_factory`, `_client`): the client;
    - anything with an `after_restore()` method: that method is called.
    """
    from pynamodb.connection import Connection
    from pynamodb.models import Model

    dropped = 0
    for obj in _reachable(root):
        if isinstance(obj, type) and issubclass(obj, Model):
            if obj._connection is not None:
                obj._connection = None
                dropped += 1
        elif isinstance(obj, Connection):
            if obj._client is not None:
                dropped += 1
            obj._client = None
            obj._local = threading.local()
        elif callable(getattr(obj, "after_restore", None)) and not isinstance(obj, type):
            obj.after_restore()
            dropped += 1
        elif hasattr(obj, "_factory") and getattr(obj, "_client", None) is not None:
            obj._client = None
            dropped += 1
    return dropped


def _reachable(root: object) -> Iterator[Any]:
    """`root` and the objects its attributes hold, breadth first, to `_DEPTH` levels, once each."""
    seen: set[int] = set()
    level: list[Any] = [root]
    for _ in range(_DEPTH + 1):
        following: list[Any] = []
        for obj in level:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            yield obj
            following.extend(_children(obj))
        level = following


_LEAVES = (str, bytes, int, float, bool, type(None))


def _children(obj: object) -> list[Any]:
    if isinstance(obj, (*_LEAVES, type)):
        return []
    if is_dataclass(obj):
        values = [getattr(obj, f.name, None) for f in fields(obj)]
    else:
        values = list(getattr(obj, "__dict__", {}).values())
    # Functions and methods are not walked (a factory is kept: it makes the next client).
    return [v for v in values if not isinstance(v, _LEAVES) and not inspect.isroutine(v)]


def _name(hook: Callable[[], None]) -> str:
    return getattr(hook, "__qualname__", type(hook).__name__)
