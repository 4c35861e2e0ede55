"""The console at / in a real Chromium: sign-in through the dev identity provider's authorize page
(authorization code + PKCE), API tokens, the admin pages, runs with a live log.

Every page is checked with axe-core (no serious or critical violation) and at 375 px wide (no
horizontal scroll). Locators go by role and label. SCULPTOPS_UPDATE_SCREENSHOTS=1 also rewrites
docs/img/console-*.png (the README shows them); token values are masked in every image.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import BrowserPage, update_screenshots
from tests.stack import LOCAL_ID, ROOT, Stack, ping_run

USERS = ["admin@demo", "member@demo", "viewer@demo", "admin@acme"]
AXE_JS = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
DOCS_IMG = ROOT / "docs" / "img"
NARROW = {"width": 375, "height": 800}
WIDE = {"width": 1280, "height": 800}
TOKEN_RE = re.compile(r"ag_live_[A-Za-z0-9]+")


def dev_token(stack: Stack, username: str) -> str:
    """An access token of the dev identity provider, as the CLI and the README get one."""
    with stack.client() as c:
        r = c.post("/dev/oidc/token", json={"username": username})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def sign_in(bp: BrowserPage, username: str) -> Page:
    """Through the real flow: Sign in → the provider's page → the user's button → back at /."""
    page = bp.page
    bp.goto("/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=username, exact=True).click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    # The code and state are gone from the address bar once exchanged.
    assert "code=" not in page.url and "state=" not in page.url, page.url
    return page


def go(page: Page, route: str, heading: str) -> None:
    """Follow a navigation link (hash routing: a reload would sign out)."""
    page.evaluate("(r) => { window.location.hash = r; }", route)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")


def axe(page: Page, where: str) -> None:
    """axe-core in the page (evaluate runs outside the page's CSP); serious/critical fail."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document)).violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
        }))"""
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {where}: {bad}"


def no_horizontal_scroll(page: Page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{where} scrolls sideways at 375 px: {width}"


def whole_value_in_view(dialog: Locator, where: str) -> None:
    """The value shown once is read in full without scrolling its field (66 characters)."""
    field = dialog.get_by_label("Token value")
    sizes = field.evaluate(
        "e => [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight, e.value.length]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3] and sizes[4] == 66, (where, sizes)


def shot(bp: BrowserPage, name: str, tmp_path: Path, mask_values: bool = False) -> None:
    """A 1280x800 screenshot into docs/img/ (only when asked), token values masked."""
    page = bp.page
    mask = [page.get_by_label("Token value")] if mask_values else []
    taken = bp.screenshot(name, mask=mask)
    target = DOCS_IMG / f"console-{name}.png" if update_screenshots() else tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(taken, target)


def clean(bp: BrowserPage) -> None:
    assert bp.console_errors == [], bp.console_errors
    assert bp.foreign_requests == [], bp.foreign_requests


@pytest.fixture
def console(browser_page: BrowserPage) -> Iterator[BrowserPage]:
    """A console page at 1280x800 whose console errors and foreign requests must stay empty."""
    browser_page.page.set_viewport_size(WIDE)
    yield browser_page
    clean(browser_page)


def test_each_seeded_user_signs_in_and_out(console: BrowserPage, stack: Stack) -> None:
    page = console.page
    for username in USERS:
        # Given the user's own name, as the API knows it
        with stack.client(dev_token(stack, username)) as c:
            name = c.get("/api/v1/me").json()["user"]["name"]
        # When the user signs in through the provider's authorize page
        sign_in(console, username)
        # Then the header shows who they are
        banner = page.get_by_role("banner")
        expect(banner).to_contain_text(name)
        expect(banner).to_contain_text(username)
        if username == USERS[0]:
            axe(page, "API tokens")
        # And signing out leaves the console
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_have_text("You signed out.")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.get_by_role("banner")).to_have_count(0)
    axe(page, "sign-in")


def test_a_401_ends_the_session(console: BrowserPage) -> None:
    # Given a signed-in user whose next API call is refused with 401 (an expired access token)
    page = sign_in(console, "member@demo")
    # (the token list the sign-in opened has been answered: only a later call is refused)
    page.wait_for_load_state("networkidle")
    page.route(
        re.compile(r"/api/v1/[^/]+/tokens/$"),
        lambda route: route.fulfill(
            status=401, json={"message": "Unauthorized"}, headers={"WWW-Authenticate": "Bearer"}
        ),
    )
    # When a page calls the API
    go(page, "#/runs", "Runs")
    page.get_by_role("link", name="API tokens").click()
    # Then the sign-in page says the session expired
    expect(page.get_by_role("status")).to_contain_text("Your session expired")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # The browser logs the refused request itself; that one is expected.
    console.console_errors[:] = [e for e in console.console_errors if "401" not in e]


def test_create_copy_use_and_delete_a_token(console: BrowserPage, stack: Stack) -> None:
    page = sign_in(console, "member@demo")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console.origin)
    name = f"ci-{secrets.token_hex(4)}"

    # When the member creates a token that expires in 7 days
    page.get_by_role("button", name="New token").click()
    dialog = page.get_by_role("dialog", name="New token")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("radio", name="7 days").check()
    axe(page, "New token dialog")
    dialog.get_by_role("button", name="Create token").click()

    # Then the value is shown once, with the older docs' warning, and Copy puts it on the clipboard
    shown = page.get_by_role("dialog", name="Token created")
    expect(shown).to_contain_text("It is never shown again.")
    value = shown.get_by_label("Token value").input_value()
    assert TOKEN_RE.fullmatch(value), "not a token value"
    shown.get_by_role("button", name="Copy").click()
    expect(shown.get_by_role("status")).to_have_text("Copied to the clipboard.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == value
    axe(page, "the value shown once")

    # And the copied value works against the API
    with httpx.Client(base_url=stack.url, timeout=30) as c:
        me = c.get("/api/v1/me", headers={"Authorization": f"Bearer {copied}"})
        assert me.status_code == 200, me.text
        assert me.json()["credential"]["name"] == name

        # When the dialog is closed, the token is listed without its value, anywhere in the page
        shown.get_by_role("button", name="Done").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
        expect(row).to_contain_text("expires in 7 days")
        assert value not in page.content()
        assert value not in page.inner_text("body")

        # When the member deletes it, confirming
        row.get_by_role("button", name=f"Delete {name}").click()
        confirm = page.get_by_role("dialog", name=f"Delete token {name}?")
        confirm.get_by_role("button", name="Delete token").click()
        expect(page.get_by_role("rowheader", name=name)).to_have_count(0)

        # Then the next request with it is refused
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {copied}"}).status_code == 401


def test_escape_closes_the_dialog_and_focus_stays_inside(console: BrowserPage) -> None:
    page = sign_in(console, "viewer@demo")
    opener = page.get_by_role("button", name="New token")
    opener.click()
    dialog = page.get_by_role("dialog", name="New token")
    expect(dialog.get_by_label("Name")).to_be_focused()
    # Tab through more controls than the dialog has: focus never reaches the page behind it
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(opener).to_be_focused()


def test_an_admin_revokes_a_members_token(console: BrowserPage, stack: Stack) -> None:
    # Given a token member@demo created over HTTP
    name = f"member-{secrets.token_hex(4)}"
    with stack.client(dev_token(stack, "member@demo")) as c:
        r = c.post("/api/v1/demo/tokens/", json={"name": name, "expires_in_days": 30})
        assert r.status_code == 201, r.text
        value = r.json()["token"]
    with httpx.Client(base_url=stack.url, timeout=30) as c:
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 200

    # When admin@demo filters the tenant's tokens by that member and revokes it
    page = sign_in(console, "admin@demo")
    go(page, "#/admin/tokens", "Tenant tokens")
    page.get_by_label("Member", exact=True).select_option("member@demo")
    revoke = page.get_by_role("button", name=f"Revoke {name} of member@demo")
    revoke.click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke token").click()
    expect(revoke).to_have_count(0)

    # Then the member's token is refused
    with httpx.Client(base_url=stack.url, timeout=30) as c:
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401


def test_viewers_see_no_trigger_button(console: BrowserPage) -> None:
    trigger = console.page.get_by_role("button", name="Trigger run")
    # A viewer of demo: no trigger, no admin entries
    page = sign_in(console, "viewer@demo")
    go(page, "#/runs", "Runs")
    expect(page.get_by_role("heading", name="Recent runs")).to_be_visible()
    expect(trigger).to_have_count(0)
    expect(page.get_by_role("link", name="Members")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    # member@demo may trigger in demo ...
    page = sign_in(console, "member@demo")
    go(page, "#/runs", "Runs")
    expect(trigger).to_be_visible()
    # ... and is a viewer in acme: switching there removes the button
    page.get_by_label("Tenant").select_option("acme")
    expect(page.get_by_label("Tenant")).to_have_value("acme")
    expect(page.get_by_role("heading", name="Recent runs")).to_be_visible()
    expect(trigger).to_have_count(0)


def test_trigger_ping_and_follow_its_log_live(console: BrowserPage) -> None:
    page = sign_in(console, "member@demo")
    streams: list[str] = []
    polls: list[str] = []
    page.on(
        "request",
        lambda r: (
            streams.append(r.url)
            if "/logs/stream?" in r.url
            else polls.append(r.url)
            if re.search(r"/logs(\?|$)", r.url)
            else None
        ),
    )
    # When the member triggers ping on local
    go(page, "#/runs", "Runs")
    page.get_by_label("Playbook").select_option(label="ping")
    page.get_by_label("Inventory").select_option(value=LOCAL_ID)
    page.get_by_role("button", name="Trigger run").click()

    # Then the run's page follows its log live to PLAY RECAP and shows success
    expect(page.get_by_role("heading", name=re.compile(r"^Run ex"))).to_be_visible()
    log = page.get_by_role("log", name="Run log")
    expect(log).to_contain_text("PLAY RECAP", timeout=90_000)
    expect(page.locator(".facts")).to_contain_text("success", timeout=30_000)
    expect(log.locator(".level-ok").first).to_be_visible()
    # Through EventSource on a signed stream URL, never the JSON poll
    assert streams and all("ticket=st_" in u for u in streams), streams
    assert polls == [], polls
    axe(page, "a run")


def test_cancel_a_long_run(console: BrowserPage, stack: Stack) -> None:
    # Given a run of a playbook that sleeps for two minutes
    with stack.client(stack.token) as c:
        r = c.post(
            "/api/v1/demo/playbooks",
            json={
                "name": f"sleeps-{secrets.token_hex(3)}",
                "content": "- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - ansible.builtin.command: sleep 120\n",
            },
        )
        assert r.status_code == 201, r.text
        r = c.post(
            "/api/v1/demo/executions",
            json={"playbook_id": r.json()["id"], "inventory_id": LOCAL_ID},
        )
        assert r.status_code == 201, r.text
        run = r.json()["id"]

    # When the member opens it while it runs and cancels it
    page = sign_in(console, "member@demo")
    go(page, f"#/runs/{run}", f"Run {run}")
    facts = page.locator(".facts")
    expect(facts).to_contain_text("running", timeout=60_000)
    page.get_by_role("button", name="Cancel run").click()

    # Then it ends cancelled
    expect(facts).to_contain_text("cancelled", timeout=30_000)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)


def test_every_page_at_375_px_and_with_axe(
    console: BrowserPage, stack: Stack, tmp_path: Path
) -> None:
    # A ping run, started now: it runs while the other pages are checked, its page comes last
    run = ping_run(stack)
    page = console.page
    pages = [
        ("#/tokens", "API tokens", "tokens"),
        ("#/runs", "Runs", "runs"),
        ("#/admin/tokens", "Tenant tokens", "admin-tokens"),
        ("#/admin/members", "Members", "admin-members"),
        ("#/admin/policy", "Token policy", "admin-policy"),
        ("#/admin/audit", "Audit log", "admin-audit"),
        (f"#/runs/{run}", f"Run {run}", "run"),
    ]
    console.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    shot(console, "sign-in", tmp_path)
    page.set_viewport_size(NARROW)
    no_horizontal_scroll(page, "sign-in")
    page.set_viewport_size(WIDE)

    sign_in(console, "admin@demo")
    for route, heading, name in pages:
        go(page, route, heading)
        if name == "run":
            expect(page.get_by_role("log", name="Run log")).to_contain_text(
                "PLAY RECAP", timeout=90_000
            )
            expect(page.locator(".facts")).to_contain_text("success")
        axe(page, name)
        shot(console, name, tmp_path)
        page.set_viewport_size(NARROW)
        no_horizontal_scroll(page, name)
        page.set_viewport_size(WIDE)

    # The value shown once, masked in the image
    go(page, "#/tokens", "API tokens")
    page.get_by_role("button", name="New token").click()
    page.get_by_role("dialog").get_by_label("Name").fill("deploy-bot")
    page.get_by_role("dialog").get_by_role("button", name="Create token").click()
    shown = page.get_by_role("dialog", name="Token created")
    expect(shown.get_by_label("Token value")).to_have_value(TOKEN_RE)
    shot(console, "token-created", tmp_path, mask_values=True)
    whole_value_in_view(shown, "wide")
    page.set_viewport_size(NARROW)
    no_horizontal_scroll(page, "token created")
    whole_value_in_view(shown, "375 px")
    page.set_viewport_size(WIDE)
    shown.get_by_role("button", name="Done").click()
