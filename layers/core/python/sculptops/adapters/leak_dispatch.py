"""LeakDispatcher adapters: how a leak batch reaches the worker that revokes out of band.

- `LambdaLeakDispatcher` (AWS): an asynchronous invocation (`InvocationType="Event"`) of the
  worker function (`functions/leaks/handler.py`); Lambda queues it and answers 202 at once.
- `ThreadLeakDispatcher` (the local stack, which has no asynchronous invocation): a bounded queue
  and one background thread that runs the same worker on the same JSON event.

The payload holds digests: it is never logged, by either.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from sculptops.domain.errors import Unavailable

log = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: a full queue or a refused invocation, 503 with Retry-After


class LambdaLeakDispatcher:
    def __init__(self, client: Callable[[], Any], function_name: str) -> None:
        # A factory: the client is made on first use, once per container.
        self._factory = client
        self._client: Any = None
        self._function = function_name

    def submit(self, payload: bytes) -> None:
        try:
            if self._client is None:
                self._client = self._factory()
            answer = self._client.invoke(
                FunctionName=self._function, InvocationType="Event", Payload=payload
            )
        except Exception as exc:  # throttled, unavailable: the caller retries later
            log.error("invoking the leak worker failed: %s", type(exc).__name__)
            raise Unavailable(retry_after=RETRY_AFTER) from None
        if answer.get("StatusCode") != 202:
            log.error("the leak worker's invocation answered %s", answer.get("StatusCode"))
            raise Unavailable(retry_after=RETRY_AFTER)


def lambda_client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2})
    return boto3.client("lambda", region_name=region, config=config)


class ThreadLeakDispatcher:
    """At most `max_pending` batches wait; one more is refused (Unavailable), never blocks.

    `run` gets each batch as the worker function would: the decoded JSON event."""

    def __init__(self, run: Callable[[dict[str, Any]], object], max_pending: int = 32) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._run = run
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, payload: bytes) -> None:
        self._start()
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            log.warning("the leak worker's queue is full: 503")
            raise Unavailable(retry_after=RETRY_AFTER) from None

    def wait_idle(self, timeout: float) -> bool:
        """For tests: True once every batch queued so far is done, False after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="sculptops-leak-worker", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        while True:
            payload = self._queue.get()
            try:
                self._run(json.loads(payload))
            except Exception as exc:  # one bad batch never stops the worker
                log.error("the leak worker failed on a batch: %s", type(exc).__name__)
            finally:
                self._queue.task_done()
