"""Pages driven in a real Chromium: Playwright for Python with Debian's /usr/bin/chromium.

Playwright cannot download its own browsers here, so `make test` installs the `chromium` Debian
package (`make browser`) when it is missing; without it these tests fail, never skip.

Fixtures:
- `browser`: one headless Chromium per test file, with a fresh profile.
- `browser_page`: a fresh page (own context) against the session's `stack`, recording
  `console_errors` (console errors, uncaught exceptions, CSP violations) and `foreign_requests`
  (every request whose origin is not the stack's). Tests assert both lists are empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Response,
    sync_playwright,
)

from tests.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
# URLs that never leave the browser.
LOCAL_SCHEMES = {"data", "blob", "about"}
# What covers a masked value in a screenshot: a neutral grey (Playwright's default is magenta).
MASK_COLOR = "#d1d5db"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class BrowserPage:
    """A fresh page plus what it did that a test must check."""

    page: Page
    origin: str
    shots: Path
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    _shot_count: int = 0

    def goto(self, path: str) -> Response:
        """Open a path of the stack (`/api/v1/docs`) and wait for the network to settle."""
        response = self.page.goto(f"{self.origin}{path}", wait_until="networkidle")
        assert response is not None, path
        return response

    def screenshot(
        self, name: str, *, full_page: bool = False, mask: Sequence[Locator] = ()
    ) -> Path:
        """A screenshot (what the user sees) into tmp_path, numbered in order of the steps.

        `mask` covers what must never be in an image: token values, pasted JWTs.
        """
        self._shot_count += 1
        path = self.shots / f"{self._shot_count:02d}-{name}.png"
        self.page.screenshot(
            path=str(path), full_page=full_page, mask=list(mask), mask_color=MASK_COLOR
        )
        return path

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium's own guess at /favicon.ico for a page that names no icon (a JSON page such
        # as /health) is the browser's request, not the page's.
        if message.location.get("url") == f"{self.origin}/favicon.ico":
            return
        self.console_errors.append(f"console: {message.text} ({message.location})")

    def _on_page_error(self, error: Exception) -> None:
        self.console_errors.append(f"pageerror: {error}")

    def _on_request(self, request: Request) -> None:
        url = request.url
        if urlsplit(url).scheme in LOCAL_SCHEMES:
            return
        if _origin(url) != self.origin:
            self.foreign_requests.append(f"{request.method} {url}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with a fresh (temporary) profile, for one test file.

    Per file, not per session: while Playwright's sync API is open it marks its event loop as
    running in the main thread, so a later test file on the same pytest worker that runs a
    Lambda handler in-process (Mangum drives its own loop) would fail; `make test` schedules
    files in any order."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install the Debian package `chromium` "
            "(`make browser`, or `apt-get install -y chromium` as root)",
            pytrace=False,
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browser_page(browser: Browser, stack: Stack, tmp_path: Path) -> Iterator[BrowserPage]:
    """A fresh page in its own context that records console errors and foreign requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    bp = BrowserPage(page=page, origin=_origin(stack.url), shots=tmp_path)
    page.on("console", bp._on_console)
    page.on("pageerror", bp._on_page_error)
    context.on("request", bp._on_request)
    try:
        yield bp
    finally:
        context.close()


def update_screenshots() -> bool:
    """Whether tests rewrite the committed screenshots in docs/img/."""
    return os.environ.get("SCULPTOPS_UPDATE_SCREENSHOTS") == "1"
