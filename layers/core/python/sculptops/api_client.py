"""A small HTTP client for the API, with retries (backoff and jitter) on 429/503 and hiccups.

Shared by the CLI and the agent, each naming itself in `User-Agent`.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx

RETRY_STATUSES = {429, 502, 503, 504}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class ApiClient:
    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        user_agent: str,
        retries: int = 4,
        timeout: float = 15.0,
        stop: threading.Event | None = None,
    ):
        headers = {"User-Agent": user_agent}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self._retries = retries
        # Set by an agent being stopped: retries end at once instead of sleeping on.
        self._stop = stop or threading.Event()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt >= self._retries:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self._retries:
                    return response
            attempt += 1
            if self._stop.wait(min(8.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.0)):  # noqa: S311
                raise httpx.TransportError("stopping: retries abandoned")

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                data = response.json()
                message = data.get("message", response.text)
                if data.get("reason"):  # a 403: {"message": "Forbidden", "reason": ...}
                    message = f"{message}: {data['reason']}"
            except (ValueError, AttributeError):
                message = response.text
            raise ApiError(response.status_code, str(message))
        return response.json() if response.content else None
