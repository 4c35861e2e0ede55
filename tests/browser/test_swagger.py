"""Swagger UI at /api/v1/docs in a real Chromium: it renders, and the older docs' token flow works.

The flow is the older docs' "API Tokens" page (002) verbatim, as a user clicks it: Authorize with a
session access token pasted into HTTPBearer, Try it out on `POST /api/v1/{tenant_id}/tokens/`
(Create API Token) with `tenant_id` = `active`, Execute, 201 with the token.

SCULPTOPS_UPDATE_SCREENSHOTS=1 also rewrites docs/img/swagger-*.png (the README shows them).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import BrowserPage, update_screenshots
from tests.stack import ROOT, Stack

DOCS_IMG = ROOT / "docs" / "img"
CREATE = "POST /api/v1/{tenant_id}/tokens/ Create API Token"


def _publish(shot: Path, name: str, tmp_path: Path) -> Path:
    """Copy a step's screenshot to docs/img/ (only when asked) or next to the test's output."""
    target = DOCS_IMG / name if update_screenshots() else tmp_path / "docs-img" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, target)
    return target


def _secrets(page: Page, *values: str) -> list[Locator]:
    """What a screenshot must not show: the pasted JWT, the curl line with it, token values."""
    return [
        page.get_by_label("auth-bearer-value"),
        page.locator(".curl-command"),
        *(page.get_by_text(value) for value in values),
    ]


def _operation(page: Page, name: str) -> Locator:
    """One operation block, found by its summary button's accessible name."""
    return page.locator(".opblock").filter(has=page.get_by_role("button", name=name, exact=True))


def test_swagger_ui_renders_the_whole_api(browser_page: BrowserPage, tmp_path: Path) -> None:
    page = browser_page.page
    response = browser_page.goto("/api/v1/docs")
    # Its own CSP: no inline script anywhere (the init is a same-origin file).
    csp = response.header_value("content-security-policy") or ""
    assert "script-src" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.header_value("x-content-type-options") == "nosniff"

    try:
        page.get_by_role("heading", name=re.compile("SculptOps API")).wait_for()
    except PlaywrightTimeoutError:
        pytest.fail(f"Swagger UI did not render; console errors: {browser_page.console_errors}")
    ops = page.locator(".opblock-summary-control")
    ops.first.wait_for()
    assert ops.count() > 40
    for summary in (CREATE, "GET /api/v1/{tenant_id}/tokens/ List API Tokens"):
        assert page.get_by_role("button", name=summary, exact=True).is_visible(), summary
    assert page.get_by_role("button", name="Authorize").is_visible()
    assert page.get_by_text("Unable to render").count() == 0
    assert page.get_by_text("does not specify a valid version").count() == 0

    shot = browser_page.screenshot("operations")
    _publish(shot, "swagger-operations.png", tmp_path)

    for asset in page.evaluate("[...document.scripts].map(s => s.src)"):
        assert asset.startswith(f"{browser_page.origin}/api/v1/docs/assets/"), asset
        served = page.request.get(asset)
        assert served.ok and served.headers["x-content-type-options"] == "nosniff", asset

    # The trailing-slash twin lands on the same page.
    browser_page.goto("/api/v1/docs/")
    assert page.url == f"{browser_page.origin}/api/v1/docs"
    page.get_by_role("button", name=CREATE, exact=True).wait_for()

    assert browser_page.console_errors == []
    assert browser_page.foreign_requests == []


def test_the_older_docs_token_flow(browser_page: BrowserPage, stack: Stack, tmp_path: Path) -> None:
    page = browser_page.page
    access_token = httpx.post(
        f"{stack.url}/dev/oidc/token", json={"username": "admin@demo"}, timeout=30
    ).json()["access_token"]
    browser_page.goto("/api/v1/docs")
    page.get_by_role("button", name=CREATE, exact=True).wait_for()
    browser_page.screenshot("docs")

    # Click Authorize; paste the access token into HTTPBearer, without a Bearer prefix.
    page.get_by_role("button", name="Authorize").click()
    bearer = page.locator(".auth-container").filter(has=page.get_by_text("HTTPBearer"))
    bearer.get_by_label("auth-bearer-value").fill(access_token)
    browser_page.screenshot("authorize-pasted", mask=_secrets(page))
    # Click Authorize, then Close.
    bearer.get_by_role("button", name="Apply credentials").click()
    bearer.get_by_role("heading", name="Authorized").wait_for()
    browser_page.screenshot("authorized")
    bearer.get_by_role("button", name="Close").click()
    page.get_by_role("heading", name="Available authorizations").wait_for(state="detached")

    # Find POST /api/v1/{tenant_id}/tokens/ (Create API Token) and click Try it out.
    page.get_by_role("button", name=CREATE, exact=True).click()
    op = _operation(page, CREATE)
    op.get_by_role("button", name="Try it out").click()
    # Set tenant_id to active; a request body with a name and a future ISO-8601 expiry date.
    op.get_by_role("textbox", name="tenant_id").fill("active")
    expiry = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT23:59:59Z")
    body = json.dumps({"name": "my-api-token", "expiry_date": expiry})
    op.get_by_role("tabpanel", name="Edit Value").get_by_role("textbox").fill(body)
    browser_page.screenshot("try-it-out")
    # Click Execute.
    op.get_by_role("button", name="Execute").click()

    # A 201 response contains the token.
    responses = op.locator(".live-responses-table")
    status = responses.locator("tr.response .response-col_status")
    status.wait_for()
    assert status.inner_text().strip() == "201"
    created = json.loads(responses.locator(".highlight-code code").first.inner_text())
    assert set(created) >= {"id", "name", "expiry_date", "token"}
    assert created["name"] == "my-api-token"
    assert created["expiry_date"].startswith(expiry[:10])
    value = created.pop("token")
    # Never let pytest print the value: compare first, assert on the outcome.
    looks_like_a_token = len(value) > 20 and value != access_token and "." not in value
    assert looks_like_a_token, "the 201 body's token is not a personal API token"

    # The part a reader needs: the request URL, then the 201 and its body.
    op.get_by_role("heading", name="Request URL").evaluate("h => h.scrollIntoView()")
    shot = browser_page.screenshot("created-201", mask=_secrets(page, value))
    _publish(shot, "swagger-token-201.png", tmp_path)

    # Use the token: it authenticates as admin@demo.
    with stack.client(value) as client:
        me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["user"]["email"] == "admin@demo"
    assert me.json()["credential"]["id"] == created["id"]

    assert browser_page.console_errors == []
    assert browser_page.foreign_requests == []
