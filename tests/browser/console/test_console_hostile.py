"""The console against what an attacker tried (issue 15), in a real Chromium.

A stage prefix (`/prod/`, as on an execute-api URL) is played by Playwright's route
interception: `/prod/...` is answered with the stack's own files and API, and the console's
config names `/prod/api/v1` as its API base, as the deployed one does.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import BrowserPage
from tests.browser.console.test_console import WIDE, clean, go, sign_in
from tests.stack import LOCAL_ID, PING_ID, Stack, ping_run


@pytest.fixture
def console(browser_page: BrowserPage) -> Iterator[BrowserPage]:
    browser_page.page.set_viewport_size(WIDE)
    yield browser_page
    clean(browser_page)


def api_requests(page: Page) -> list[str]:
    """Every request of the page to the API from now on (recorded as it happens)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/api/" in r.url else None)
    return seen


# ---- 1. sign-in under a stage path ----


def test_sign_in_under_a_stage_path(console: BrowserPage, stack: Stack) -> None:
    page = console.page
    origin = console.origin
    with stack.client() as c:
        config = c.get("/console/config.json").json()
    config["api_base"] = "/prod/api/v1"  # what the console's config says at a stage

    def stage(route: Route) -> None:
        rest = route.request.url.split("/prod/", 1)[1]
        if rest.split("?")[0] == "console/config.json":
            route.fulfill(json=config, headers={"Cache-Control": "no-store"})
            return
        # The same method, headers and body, to the stack without the stage.
        route.fulfill(response=route.fetch(url=f"{origin}/{rest}"))

    page.route(re.compile(re.escape(f"{origin}/prod/") + ".*"), stage)

    def authorize(route: Route) -> None:
        # Playwright routes only the first request of a redirect chain: the provider's answer
        # (302 to /prod/?code=...) is followed here, so that /prod/ is routed again.
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        location = answer.headers.get("location")
        if answer.status != 302 or location is None:
            route.fulfill(response=answer)
            return
        route.fulfill(
            status=200,
            content_type="text/html",
            body=f'<meta http-equiv="refresh" content="0;url={location}">',
        )

    page.route(re.compile(r".*/dev/oidc/authorize.*"), authorize)
    exchanges: list[str] = []
    page.on(
        "request",
        lambda r: (
            exchanges.append(r.post_data or "") if r.url.endswith("/dev/oidc/token") else None
        ),
    )
    api = api_requests(page)

    # Given the console opened at the stage, on its runs page
    page.goto(f"{origin}/prod/#/runs")
    page.get_by_role("button", name="Sign in").click()
    # When member@demo signs in at the provider
    page.wait_for_url(re.compile(r".*/dev/oidc/authorize\?.*"))
    sent = parse_qs(urlsplit(page.url).query)
    assert sent["redirect_uri"] == [f"{origin}/prod/"]
    page.get_by_role("button", name="member@demo", exact=True).click()

    # Then the console is signed in, back at the stage and the page it started from
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{origin}/prod/#/runs", page.url
    # The exchange named the redirect URI the code was issued for
    assert len(exchanges) == 1
    assert parse_qs(exchanges[0])["redirect_uri"] == [f"{origin}/prod/"]
    # And every API call went through the API base of the config
    assert api and all(u.startswith(f"{origin}/prod/api/v1/") for u in api), api


# ---- 2, 3. crafted routes ----


@pytest.mark.parametrize("route", ["#/runs/..", "#/runs/.", "#/runs/%E0%A4%A", "#/runs/%2e%2e"])
def test_a_crafted_run_id_is_not_found_and_calls_no_api(console: BrowserPage, route: str) -> None:
    # Given a signed-in member
    page = sign_in(console, "member@demo")
    page.wait_for_load_state("networkidle")
    api = api_requests(page)
    # When the address names a run id that is not one
    page.evaluate("(r) => { window.location.hash = r; }", route)
    # Then the console says there is no such page
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("There is no such page")
    # And it calls no other API path, nor loops: at most 3 requests in 1.5 s (a loop of
    # requests would make dozens)
    page.wait_for_timeout(1500)
    assert len(api) <= 3, api
    assert not any("/executions" in u for u in api), api
    # And the navigation still works
    page.get_by_role("link", name="Runs").click()
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()


def test_a_malformed_escape_before_sign_in_ends_at_not_found(console: BrowserPage) -> None:
    # Given a link to the console with a malformed percent-escape in its fragment
    page = console.page
    console.goto("/#/runs/%E0%A4%A")
    # When the user signs in from there
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="member@demo", exact=True).click()
    # Then the page is "not found", not blank
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("banner")).to_be_visible()


def test_a_page_that_fails_to_render_shows_an_alert(console: BrowserPage) -> None:
    # Given an API answer of an unexpected shape (a state that is not text)
    page = sign_in(console, "admin@demo")
    token = {
        "id": "tok_1",
        "name": "odd",
        "owner": "member@demo",
        "state": 7,
        "created_at": "2025-01-01T00:00:00Z",
        "expiry_date": "2030-01-01T00:00:00Z",
    }
    page.route(
        re.compile(r".*/api/v1/demo/admin/tokens(\?.*)?$"),
        lambda route: route.fulfill(json={"tokens": [token], "next_cursor": None}),
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # When the page renders it
    page.evaluate("window.location.hash = '#/admin/tokens'")
    # Then an alert replaces the page, and the header and the other pages still work
    expect(page.get_by_role("heading", name="This page failed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("could not show this page")
    expect(page.get_by_role("banner")).to_be_visible()
    go(page, "#/admin/members", "Members")
    console.console_errors[:] = [e for e in console.console_errors if "replace" not in e]


def test_a_run_page_with_an_answer_of_another_shape_stops(console: BrowserPage) -> None:
    # Given a run whose API answer is not a run (what a collapsed `..` path answered)
    run = "exe_0000000000000000000000ff"
    page = sign_in(console, "member@demo")
    page.wait_for_load_state("networkidle")
    page.route(
        re.compile(rf".*/executions/{run}(/.*)?(\?.*)?$"),
        lambda route: route.fulfill(json={"executions": [], "next_cursor": None}),
    )
    api = api_requests(page)
    # When the run's page opens
    page.evaluate("(r) => { window.location.hash = r; }", f"#/runs/{run}")
    # Then it says so, and neither crashes nor loops
    expect(page.get_by_role("alert").first).to_contain_text("did not answer with")
    # 3 s: longer than the page's own timers (a 2 s status reload, a 1 s stream retry)
    page.wait_for_timeout(3000)
    assert len(api) <= 4, api  # the run, its stream URL, the catalog; nothing again


# ---- 4. the provider's error in the address ----

HOSTILE = "access_denied. Your account is locked - call +1-555-0100 or visit evil.example to unlock"


def test_an_error_in_the_address_shows_none_of_its_text(console: BrowserPage) -> None:
    page = console.page
    # The attacker's link: no sign-in was started here
    console.goto(
        "/?error=access_denied.%20Your%20account%20is%20locked%20-%20call%20%2B1-555-0100"
        "%20or%20visit%20evil.example%20to%20unlock&error_description=evil.example"
    )
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("The sign-in failed; try again.")
    body = page.inner_text("body")
    for text in ("evil.example", "555-0100", "locked", "access_denied"):
        assert text not in body, body
    assert "error=" not in page.url


def test_a_known_error_code_gets_its_own_message_never_the_description(
    console: BrowserPage,
) -> None:
    page = console.page
    for code, expected in (
        ("access_denied", "The sign-in was refused at the identity provider."),
        (
            "temporarily_unavailable",
            "The identity provider is unavailable for now; try again later.",
        ),
        ("__proto__", "The sign-in failed; try again."),
        ("made_up", "The sign-in failed; try again."),
    ):
        # Given a sign-in started here (its state is in the tab)
        console.goto("/")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/dev/oidc/authorize\?.*"))
        state = parse_qs(urlsplit(page.url).query)["state"][0]
        # When the provider answers with an error and a description of its own
        console.goto(f"/?error={code}&error_description=visit%20evil.example&state={state}")
        # Then the console shows the code's fixed message only
        expect(page.get_by_role("alert")).to_have_text(expected)
        assert "evil.example" not in page.inner_text("body")


# ---- 5. a slow answer of the previous tenant ----


def test_a_slow_answer_of_the_previous_tenant_is_never_shown(
    console: BrowserPage, stack: Stack
) -> None:
    # Given a run in demo
    run = ping_run(stack)
    page = sign_in(console, "member@demo")
    go(page, "#/runs", "Runs")
    expect(page.get_by_role("link", name=run)).to_be_visible()
    go(page, "#/tokens", "API tokens")

    # And demo's run list answers slowly from now on
    delayed: list[str] = []
    answered: list[str] = []

    def slow(route: Route) -> None:
        delayed.append(route.request.url)
        page.wait_for_timeout(2500)
        route.continue_()

    page.route(re.compile(r".*/api/v1/demo/executions(\?.*)?$"), slow)
    page.on(
        "requestfinished",
        lambda req: answered.append(req.url) if "/api/v1/demo/executions" in req.url else None,
    )

    # When member@demo opens the runs (demo, slow) and switches to acme at once
    page.evaluate("window.location.hash = '#/runs'")
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    page.get_by_label("Tenant").select_option("acme")
    expect(page.get_by_label("Tenant")).to_have_value("acme")

    # Then, once demo's answer has come, acme's list is what is shown
    deadline = time.monotonic() + 15
    while not answered and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert delayed and answered, (delayed, answered)
    page.wait_for_timeout(500)
    expect(page.get_by_role("heading", name="Recent runs")).to_be_visible()
    expect(page.get_by_role("link", name=run)).to_have_count(0)
    assert run not in page.inner_text("main")


# ---- 9. a long log, the skip link and the focus ----

LINES = 3000


def test_a_long_log_shows_at_once_and_follows_to_the_end(console: BrowserPage) -> None:
    # Given a finished run whose stream sends 3,000 lines in one burst
    run = "exe_00000000000000000000abcd"
    origin = console.origin
    page = sign_in(console, "member@demo")
    page.wait_for_load_state("networkidle")
    finished = {
        "id": run,
        "status": "success",
        "playbook_id": PING_ID,
        "inventory_id": LOCAL_ID,
        "triggered_by": "member@demo",
        "created_at": "2025-01-01T00:00:00Z",
        "started_at": "2025-01-01T00:00:01Z",
        "finished_at": "2025-01-01T00:00:09Z",
        "exit_code": 0,
        "cancel_requested": False,
    }
    events = "".join(
        f"id: {n}\ndata: "
        + json.dumps({"seq": n, "ts": "2025-01-01T00:00:02Z", "level": "ok", "line": f"line {n}"})
        + "\n\n"
        for n in range(1, LINES + 1)
    )
    streams: list[str] = []

    def stream(route: Route) -> None:
        streams.append(route.request.url)
        if len(streams) == 1:
            route.fulfill(status=200, content_type="text/event-stream", body=events)
        else:
            route.fulfill(status=204)  # complete: EventSource stops

    page.route(re.compile(rf".*/executions/{run}$"), lambda route: route.fulfill(json=finished))
    page.route(
        re.compile(rf".*/executions/{run}/logs/stream-url$"),
        lambda route: route.fulfill(
            json={"url": f"{origin}/fake-stream?ticket=x", "expires_at": "2030-01-01T00:00:00Z"}
        ),
    )
    page.route(re.compile(r".*/fake-stream\?.*"), stream)

    # When the run's page opens
    started = time.monotonic()
    page.evaluate("(r) => { window.location.hash = r; }", f"#/runs/{run}")
    log = page.get_by_role("log", name="Run log")
    expect(log.locator(".line")).to_have_count(LINES, timeout=30_000)
    took = time.monotonic() - started
    # Then the whole log is there in a few seconds (10 s one render per line)
    assert took < 4, f"{LINES} lines took {took:.1f} s"
    expect(log).to_contain_text(f"line {LINES}")
    # And it follows to the end
    page.wait_for_timeout(300)
    gap = page.evaluate(
        "() => { const b = document.querySelector('.log');"
        " return b.scrollHeight - b.scrollTop - b.clientHeight; }"
    )
    assert gap <= 2, gap


def test_skip_link_first_and_focus_on_the_heading_after_a_route_change(
    console: BrowserPage,
) -> None:
    page = sign_in(console, "viewer@demo")
    page.wait_for_load_state("networkidle")
    # The first Tab stop is "Skip to content", and it leads to the page's heading
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_focused()
    assert page.url.endswith("#/tokens") or "#" not in page.url, page.url
    # After a route change focus goes to the new page's heading
    page.get_by_role("link", name="Runs").click()
    expect(page.get_by_role("heading", name="Runs", level=1)).to_be_focused()


def test_a_token_gone_elsewhere_is_deleted_without_a_dead_end_and_last_use_shows(
    console: BrowserPage, stack: Stack
) -> None:
    """A newcomer's findings: after a reuse revoked a token elsewhere, Delete ended in "token ...
    not found" with no way on; a token used while its value was shown still said "never"."""
    from tests.browser.console.test_console import dev_token

    page = sign_in(console, "viewer@demo")
    jwt = dev_token(stack, "viewer@demo")
    name = f"gone-{int(time.time() * 1000) % 10**8}"
    page.get_by_role("button", name="New token").click()
    dialog = page.get_by_role("dialog", name="New token")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Create token").click()
    value = (
        page.get_by_role("dialog", name="Token created").get_by_label("Token value").input_value()
    )
    with stack.client(value) as c:  # used while the value is shown
        assert c.get("/api/v1/me").status_code == 200
    page.get_by_role("button", name="Done").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
    expect(row).not_to_contain_text("never")
    # When the token is deleted elsewhere (another tab, an admin, reuse detection)
    with stack.client(jwt) as c:
        listed = c.get("/api/v1/demo/tokens/").json()["tokens"]
        token_id = next(t["id"] for t in listed if t["name"] == name)
        assert c.delete(f"/api/v1/demo/tokens/{token_id}").status_code == 204
    # Then Delete here still ends: the dialog closes and the row is gone, no error
    row.get_by_role("button", name=f"Delete {name}").click()
    page.get_by_role("dialog", name=f"Delete token {name}?").get_by_role(
        "button", name="Delete token"
    ).click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("rowheader", name=name)).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    # The one console error is the browser's own line for that expected 404, and only it.
    expected = [e for e in console.console_errors if f"/tokens/{token_id}" in e and "404" in e]
    assert len(expected) == 1, console.console_errors
    console.console_errors.remove(expected[0])


# ---- data others control is shown as text, never as markup ----

MARKUP = "<img src=x onerror=window.__owned=1>"


def test_markup_in_a_token_name_and_in_a_run_log_is_text(
    console: BrowserPage, stack: Stack
) -> None:
    # Given a token named with markup, and a run whose playbook prints markup
    with stack.client(stack.token) as c:
        made = c.post("/api/v1/demo/tokens/", json={"name": MARKUP})
        assert made.status_code == 201, made.text
        r = c.post(
            "/api/v1/demo/playbooks",
            json={
                "name": f"prints-markup-{int(time.time() * 1000) % 10**8}",
                "content": "- hosts: all\n  gather_facts: false\n  tasks:\n"
                f"    - ansible.builtin.debug:\n        msg: '{MARKUP}'\n",
            },
        )
        assert r.status_code == 201, r.text
        r = c.post(
            "/api/v1/demo/executions",
            json={"playbook_id": r.json()["id"], "inventory_id": LOCAL_ID},
        )
        assert r.status_code == 201, r.text
        run = r.json()["id"]
    # When the token's owner opens the tokens page and the run's page
    page = sign_in(console, "admin@demo")
    expect(page.get_by_role("rowheader", name=MARKUP, exact=True).first).to_be_visible()
    go(page, f"#/runs/{run}", f"Run {run}")
    expect(page.locator(".facts")).to_contain_text("success", timeout=60_000)
    expect(page.get_by_text(MARKUP).first).to_be_visible()
    # Then the markup is text: no element was made from it, no handler ran (CSP or not)
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.__owned") is None
    with stack.client(stack.token) as c:  # the shared stack's token list as it was
        assert c.delete(f"/api/v1/demo/tokens/{made.json()['id']}").status_code == 204
