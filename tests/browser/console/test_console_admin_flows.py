"""The console's admin pages in a real Chromium: members, the token policy and the audit log.

Members are changed in demo as admin@demo (a throwaway address, removed again); the token policy
and the audit log are driven in acme as admin@acme, whose tokens and policy no other browser test
relies on (lowering demo's maximum would stop the shared stack's own token). Every change is
checked through the API as well, and every setting changed is restored in a `finally`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.browser.conftest import BrowserPage
from tests.browser.console.test_console import WIDE, axe, clean, dev_token, go, sign_in
from tests.stack import Stack

ADMIN_ROUTES = [
    ("#/admin/tokens", "Tenant tokens"),
    ("#/admin/members", "Members"),
    ("#/admin/policy", "Token policy"),
    ("#/admin/audit", "Audit log"),
]
# The API paths only admins may use (GET /members is for anyone in the tenant).
ADMIN_API = re.compile(r"/api/v1/[^/]+/(members|settings/token-policy|audit-events|admin/tokens)")
LAST_ADMIN = "admin@demo is the last admin of demo: make another admin first"
AUDIT_PAGE = 20  # events a page of the console's audit log


@pytest.fixture
def console(browser_page: BrowserPage) -> Iterator[BrowserPage]:
    browser_page.page.set_viewport_size({"width": WIDE["width"], "height": WIDE["height"]})
    yield browser_page
    clean(browser_page)


def new_address() -> str:
    return f"new-{secrets.token_hex(4)}@example.com"


def members_of(stack: Stack) -> dict[str, str]:
    """demo's members as the API lists them (admin@demo's token): email -> role."""
    with stack.client(stack.token) as c:
        r = c.get("/api/v1/demo/members")
    assert r.status_code == 200, r.text
    return {m["email"]: m["role"] for m in r.json()["members"]}


def remove_if_member(stack: Stack, email: str) -> None:
    """Cleanup: the throwaway address out of demo again, whatever the test got to."""
    with stack.client(stack.token) as c:
        if email in members_of(stack):
            assert c.delete(f"/api/v1/demo/members/{email}").status_code == 204


def status_line(page: Page) -> Locator:
    """The page's own status line (the notices region is a status too)."""
    return page.locator("main p[role='status']")


def requests_to(page: Page, pattern: re.Pattern[str]) -> list[str]:
    """Every request of the page whose URL matches, from now on."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if pattern.search(request.url):
            seen.append(f"{request.method} {request.url}")

    page.on("request", record)
    return seen


# ---- 1. members ----


def test_an_admin_adds_changes_and_removes_a_member(console: BrowserPage, stack: Stack) -> None:
    email = new_address()
    page = sign_in(console, "admin@demo")
    go(page, "#/admin/members", "Members")
    try:
        # When the admin adds a new address as a viewer
        form = page.get_by_role("form", name="Add a member")
        form.get_by_label("Email").fill(email)
        form.get_by_label("Role").select_option("viewer")
        form.get_by_role("button", name="Add member").click()

        # Then the page says so and lists them with that role, and so does the API
        expect(status_line(page)).to_have_text(f"{email} added as viewer.")
        expect(page.get_by_role("rowheader", name=email, exact=True)).to_be_visible()
        role = page.get_by_label(f"Role of {email}", exact=True)
        expect(role).to_have_value("viewer")
        expect(form.get_by_label("Email")).to_have_value("")
        assert members_of(stack)[email] == "viewer"

        # When the admin makes them a member
        role.select_option("member")
        # Then the page says so, and the API has the new role
        expect(status_line(page)).to_have_text(f"{email} is now member.")
        expect(role).to_have_value("member")
        assert members_of(stack)[email] == "member"

        # When the admin removes them, confirming
        page.get_by_role("button", name=f"Remove {email}", exact=True).click()
        confirm = page.get_by_role("dialog", name=f"Remove {email} from demo?")
        expect(confirm).to_contain_text("Their tokens stop acting in demo")
        confirm.get_by_role("button", name="Remove member").click()

        # Then the dialog closes, the row is gone and the API no longer lists them
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(status_line(page)).to_have_text(f"{email} removed from demo.")
        expect(page.get_by_role("rowheader", name=email, exact=True)).to_have_count(0)
        expect(page.get_by_role("alert")).to_have_count(0)
        assert email not in members_of(stack)
    finally:
        remove_if_member(stack, email)


def test_the_last_admin_can_be_neither_demoted_nor_removed(
    console: BrowserPage, stack: Stack
) -> None:
    # Given demo, whose only admin is admin@demo
    before = members_of(stack)
    assert [e for e, r in before.items() if r == "admin"] == ["admin@demo"], before
    page = sign_in(console, "admin@demo")
    go(page, "#/admin/members", "Members")
    role = page.get_by_label("Role of admin@demo", exact=True)
    expect(role).to_have_value("admin")

    # When the admin demotes themself
    role.select_option("member")
    # Then the page shows the API's refusal, the role shown is still admin, and nothing changed
    expect(page.get_by_role("alert")).to_have_text(LAST_ADMIN)
    expect(status_line(page)).to_have_text("")
    expect(role).to_have_value("admin")
    assert members_of(stack) == before
    axe(page, "members, a refused demotion")

    # When the admin tries to remove themself, confirming
    page.get_by_role("button", name="Remove admin@demo", exact=True).click()
    confirm = page.get_by_role("dialog", name="Remove admin@demo from demo?")
    confirm.get_by_role("button", name="Remove member").click()
    # Then the dialog stays open with the refusal, and nothing changed
    expect(confirm.get_by_role("alert")).to_have_text(LAST_ADMIN)
    expect(confirm.get_by_role("button", name="Remove member")).to_be_enabled()
    axe(page, "members, a refused removal")
    confirm.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("rowheader", name="admin@demo", exact=True)).to_be_visible()
    expect(role).to_have_value("admin")
    assert members_of(stack) == before
    # The browser logs the two refused requests (409) itself; those are expected, and only they.
    refused = [e for e in console.console_errors if "409" in e]
    assert len(refused) == 2, console.console_errors
    console.console_errors[:] = [e for e in console.console_errors if e not in refused]


def test_a_refused_add_keeps_what_was_typed(console: BrowserPage, stack: Stack) -> None:
    # Given an address that is already a member of demo
    before = members_of(stack)
    page = sign_in(console, "admin@demo")
    go(page, "#/admin/members", "Members")
    form = page.get_by_role("form", name="Add a member")
    field = form.get_by_label("Email")
    # When the admin adds it again
    field.fill("member@demo")
    form.get_by_label("Role").select_option("admin")
    form.get_by_role("button", name="Add member").click()
    # Then the page shows the API's refusal and nothing changed
    expect(page.get_by_role("alert")).to_have_text("member@demo is already a member of demo")
    expect(status_line(page)).to_have_text("")
    assert members_of(stack) == before
    refused = [e for e in console.console_errors if "409" in e]
    assert len(refused) == 1, console.console_errors
    console.console_errors[:] = []
    # And what the admin typed is still there to correct (it is not: the field is emptied)
    expect(field).to_have_value("member@demo", timeout=2_000)


def test_a_member_neither_sees_nor_uses_the_admin_pages(console: BrowserPage, stack: Stack) -> None:
    members_before = members_of(stack)
    with stack.client(stack.token) as c:
        policy_before = c.get("/api/v1/demo/settings/token-policy").json()
    # Given member@demo, signed in to demo
    page = sign_in(console, "member@demo")
    page.wait_for_load_state("networkidle")
    admin_calls = requests_to(page, ADMIN_API)

    # Then the navigation offers no admin page
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["API tokens", "Runs"])

    # And an admin page opened by its address says it is for admins, shows none of its controls
    # and calls none of the admin API
    for route, heading in ADMIN_ROUTES:
        page.evaluate("(r) => { window.location.hash = r; }", route)
        expect(page.get_by_role("alert")).to_have_text("The admin pages are for admins of demo.")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_have_count(0)
        # (the member's notices, which other tests on this stack may have raised, aside)
        page_buttons = page.get_by_role("main").get_by_role("button")
        expect(page_buttons.filter(has_not_text="Dismiss notices")).to_have_count(0)
        expect(page.get_by_role("main").get_by_role("textbox")).to_have_count(0)
    axe(page, "an admin page, as a member")
    page.wait_for_load_state("networkidle")
    assert admin_calls == [], admin_calls

    # And no admin call of the API succeeds with the member's own session
    email = new_address()
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/api/v1/demo/members", {"email": email, "role": "admin"}),
        ("PATCH", "/api/v1/demo/members/member@demo", {"role": "admin"}),
        ("PATCH", "/api/v1/demo/members/admin@demo", {"role": "viewer"}),
        ("DELETE", "/api/v1/demo/members/viewer@demo", None),
        ("GET", "/api/v1/demo/settings/token-policy", None),
        (
            "PUT",
            "/api/v1/demo/settings/token-policy",
            {"admins_only": True, "max_lifetime_days": 1},
        ),
        ("GET", "/api/v1/demo/audit-events", None),
        ("GET", "/api/v1/demo/admin/tokens", None),
    ]
    try:
        with stack.client(dev_token(stack, "member@demo")) as c:
            for method, path, body in attempts:
                r = c.request(method, path, json=body)
                assert r.status_code == 403, (method, path, r.status_code, r.text)
                assert r.json()["message"] == "Forbidden", r.text
                assert "admin" in r.json()["reason"], r.text
        with stack.client(stack.token) as c:
            assert c.get("/api/v1/demo/settings/token-policy").json() == policy_before
        assert members_of(stack) == members_before
    finally:
        # Were any of them let through, the shared stack is put back as it was
        after = members_of(stack)
        with stack.client(stack.token) as c:
            for who, was in members_before.items():
                if after.get(who) != was and who != "admin@demo":
                    c.patch(f"/api/v1/demo/members/{who}", json={"role": was})
            if c.get("/api/v1/demo/settings/token-policy").json() != policy_before:
                c.put("/api/v1/demo/settings/token-policy", json=policy_before)
        remove_if_member(stack, email)


# ---- 2. the token policy (acme) ----


def acme_policy(jwt: str, stack: Stack) -> dict[str, Any]:
    with stack.client(jwt) as c:
        r = c.get("/api/v1/acme/settings/token-policy")
    assert r.status_code == 200, r.text
    return dict(r.json())


def restore_acme_policy(jwt: str, stack: Stack, policy: dict[str, Any]) -> None:
    with stack.client(jwt) as c:
        r = c.put("/api/v1/acme/settings/token-policy", json=policy)
    assert r.status_code == 200, r.text
    assert acme_policy(jwt, stack) == policy


def invalid_message(field: Locator) -> str:
    """The browser's own constraint-validation message of a field ('' when it is valid)."""
    return str(field.evaluate("(el) => el.validationMessage"))


def test_an_admin_changes_the_token_policy_and_a_longer_token_is_refused(
    console: BrowserPage, stack: Stack
) -> None:
    admin = dev_token(stack, "admin@acme")
    original = acme_policy(admin, stack)
    assert original["max_lifetime_days"] > 30, original  # other tests make 30- and 90-day tokens
    page = sign_in(console, "admin@acme")
    puts = requests_to(page, re.compile(r"/settings/token-policy$"))
    try:
        go(page, "#/admin/policy", "Token policy")
        maximum = page.get_by_label("Maximum lifetime (days)")
        default = page.get_by_label("Default lifetime (days, optional)")
        save = page.get_by_role("button", name="Save policy")
        # Given the page shows the policy in force
        expect(maximum).to_have_value(str(original["max_lifetime_days"]))

        # When the admin saves an invalid maximum (zero, negative, above 366, huge, a fraction)
        for bad in ("0", "-5", "367", "100000000000", "1.5"):
            maximum.fill(bad)
            save.click()
            # Then the browser stops it at the field, with its reason, and nothing is sent
            expect(maximum).to_be_focused()
            assert invalid_message(maximum), bad
        # ... and text (a number field takes no letters: what is left is not a number)
        maximum.fill("")
        maximum.press_sequentially("ten")
        save.click()
        expect(maximum).to_be_focused()
        assert invalid_message(maximum)
        expect(status_line(page)).to_have_text("")
        assert [p for p in puts if p.startswith("PUT")] == [], puts
        # And the API, sent the same directly, refuses each with 422 naming the field
        with stack.client(admin) as c:
            for value in (0, -5, 367, 10**12, 1.5, "ten", "30", None):
                body = {"admins_only": False, "max_lifetime_days": value}
                r = c.put("/api/v1/acme/settings/token-policy", json=body)
                assert r.status_code == 422, (value, r.text)
                assert r.json()["message"].startswith("Invalid request: max_lifetime_days: ")
                assert [e["field"] for e in r.json()["errors"]] == ["max_lifetime_days"], r.text
        assert acme_policy(admin, stack) == original

        # When a maximum and default pass the browser but not the API (a default above the max)
        maximum.fill("20")
        default.fill("30")
        save.click()
        # Then the API's refusal names the field, and nothing is saved
        expect(page.get_by_role("alert")).to_have_text(
            "Invalid request: default_lifetime_days: must be between 1 and max_lifetime_days"
        )
        expect(status_line(page)).to_have_text("")
        axe(page, "token policy, refused")
        assert acme_policy(admin, stack) == original

        # When the admin saves a maximum of 20 days without a default
        default.fill("")
        save.click()
        # Then the page says it is saved (and how many tokens that stopped), and the API has it
        expect(status_line(page)).to_have_text(
            re.compile(
                r"^Saved\. \d+ token\(s\) whose lifetime exceeds the new maximum stop working here\.$"
            )
        )
        expect(page.get_by_role("alert")).to_have_count(0)
        assert acme_policy(admin, stack) == {
            **original,
            "max_lifetime_days": 20,
            "default_lifetime_days": None,
        }

        go(page, "#/tokens", "API tokens")

        # When the admin opens New token, the dialog names the maximum and offers nothing above it
        page.get_by_role("button", name="New token").click()
        dialog = page.get_by_role("dialog", name="New token")
        expect(dialog).to_contain_text("At most 20 days in this tenant.")
        expect(dialog.get_by_role("radio", name="7 days")).to_be_enabled()
        expect(dialog.get_by_role("radio", name="30 days")).to_be_disabled()
        expect(dialog.get_by_role("radio", name="90 days")).to_be_disabled()
        # And a custom number of days above it is stopped, naming the limit
        dialog.get_by_label("Name").fill(f"too-long-{secrets.token_hex(3)}")
        dialog.get_by_role("radio", name="Custom number of days").check()
        days = dialog.get_by_label("Days until expiry")
        days.fill("25")
        dialog.get_by_role("button", name="Create token").click()
        expect(days).to_be_focused()
        assert "20" in invalid_message(days), invalid_message(days)
        dialog.get_by_role("button", name="Cancel").click()
        expect(page.get_by_role("dialog")).to_have_count(0)

        # And the policy page, read again (another page and back: a reload signs out), shows it
        go(page, "#/admin/policy", "Token policy")
        expect(maximum).to_have_value("20")
        expect(default).to_have_value("")

        # When member@demo (a viewer of acme, who cannot read the policy) asks for 30 days there
        page.get_by_role("button", name="Sign out").click()
        page = sign_in(console, "member@demo")
        page.get_by_label("Tenant").select_option("acme")
        expect(page.get_by_label("Tenant")).to_have_value("acme")
        page.wait_for_load_state("networkidle")
        name = f"too-long-{secrets.token_hex(3)}"
        page.get_by_role("button", name="New token").click()
        dialog = page.get_by_role("dialog", name="New token")
        dialog.get_by_label("Name").fill(name)
        dialog.get_by_role("radio", name="30 days").check()
        dialog.get_by_role("button", name="Create token").click()
        # Then the API's refusal names the field and the limit, and no token is made
        expect(dialog.get_by_role("alert")).to_have_text(
            "Invalid request: expires_in_days: must be between 1 and 20"
        )
        axe(page, "new token, refused by the policy")
        with stack.client(dev_token(stack, "member@demo")) as c:
            listed = c.get("/api/v1/acme/tokens/").json()["tokens"]
        assert name not in [t["name"] for t in listed]
        refused = [e for e in console.console_errors if "422" in e]
        assert len(refused) == 2, console.console_errors  # the default above, this token
        console.console_errors[:] = [e for e in console.console_errors if e not in refused]
    finally:
        restore_acme_policy(admin, stack, original)


def test_new_token_never_starts_on_a_choice_past_the_maximum(
    console: BrowserPage, stack: Stack
) -> None:
    admin = dev_token(stack, "admin@acme")
    original = acme_policy(admin, stack)
    try:
        # Given acme's maximum is 20 days
        with stack.client(admin) as c:
            r = c.put(
                "/api/v1/acme/settings/token-policy",
                json={**original, "max_lifetime_days": 20, "default_lifetime_days": None},
            )
            assert r.status_code == 200, r.text
        # When its admin opens New token, whose form shows the maximum
        page = sign_in(console, "admin@acme")
        page.get_by_role("button", name="New token").click()
        dialog = page.get_by_role("dialog", name="New token")
        expect(dialog).to_contain_text("At most 20 days in this tenant.")
        # Then the choice it starts on is one the maximum allows
        checked = dialog.locator("input[type=radio]:checked")
        expect(checked).to_have_count(1)
        expect(checked).to_be_enabled(timeout=2_000)
    finally:
        restore_acme_policy(admin, stack, original)


# ---- 3. the audit log (acme) ----


def audit_rows(page: Page) -> Locator:
    return page.get_by_role("region", name="Audit events").locator("tbody tr")


def shown(event: dict[str, Any]) -> tuple[str, str, str]:
    """What a row of the console shows of an event: its type, its actor, its target."""
    target = f"{event['target']['type']} {event['target']['id'] or ''}".strip()
    return event["type"], event["actor"]["user_id"] or "—", target


ROWS_JS = """(rows) => rows.map((row) => {
    const cells = row.querySelectorAll('th, td');
    const first = (cell) => cell.innerText.split('\\n')[0].trim();
    return [first(cells[1]), first(cells[2]), first(cells[3]),
            cells[0].querySelector('time').getAttribute('datetime')];
})"""


def rows_shown(page: Page) -> list[tuple[str, str, str]]:
    return [(t, a, g) for t, a, g, _ in audit_rows(page).evaluate_all(ROWS_JS)]


def expect_rows(page: Page, events: list[dict[str, Any]]) -> None:
    """Wait until the table shows exactly these events, in this order."""
    expect(audit_rows(page).locator("th")).to_have_text([e["type"] for e in events])
    expect(audit_rows(page).locator("td:nth-child(4)")).to_have_text(
        [re.compile("^" + re.escape(shown(e)[2]) + r"(\s|$)") for e in events],
        use_inner_text=True,
    )


def test_the_audit_log_shows_who_did_what_newest_first(console: BrowserPage, stack: Stack) -> None:
    admin = dev_token(stack, "admin@acme")
    name = f"audit-{secrets.token_hex(3)}"
    page = sign_in(console, "admin@acme")
    mine: str | None = None
    try:
        # Given admin@acme creates a token in the console
        page.get_by_role("button", name="New token").click()
        dialog = page.get_by_role("dialog", name="New token")
        dialog.get_by_label("Name").fill(name)
        dialog.get_by_role("radio", name="7 days").check()
        dialog.get_by_role("button", name="Create token").click()
        page.get_by_role("dialog", name="Token created").get_by_role("button", name="Done").click()
        expect(page.get_by_role("rowheader", name=name, exact=True)).to_be_visible()
        with stack.client(admin) as c:
            listed = c.get("/api/v1/acme/tokens/").json()["tokens"]
        mine = next(t["id"] for t in listed if t["name"] == name)
        # And then member@demo (a viewer of acme) creates and deletes one there over HTTP
        with stack.client(dev_token(stack, "member@demo")) as c:
            r = c.post("/api/v1/acme/tokens/", json={"name": name, "expires_in_days": 7})
            assert r.status_code == 201, r.text
            theirs = r.json()["id"]
            assert c.delete(f"/api/v1/acme/tokens/{theirs}").status_code == 204

        # When the admin opens the audit log
        go(page, "#/admin/audit", "Audit log")
        expect(page.get_by_text("Newest first. Page 1.")).to_be_visible()

        # Then the three actions come first, newest first, each with who did it to what
        expect(audit_rows(page).first.locator("th")).to_have_text("token.deleted")
        assert rows_shown(page)[:3] == [
            ("token.deleted", "member@demo", f"token {theirs}"),
            ("token.created", "member@demo", f"token {theirs}"),
            ("token.created", "admin@acme", f"token {mine}"),
        ]
        # The session each used is named too, and the times never go up down the page
        expect(audit_rows(page).first.locator("td").nth(1)).to_contain_text("jwt")
        times = [datetime.fromisoformat(r[3]) for r in audit_rows(page).evaluate_all(ROWS_JS)]
        assert times == sorted(times, reverse=True), times
        # And the API lists the same, in the same order
        with stack.client(admin) as c:
            events = c.get("/api/v1/acme/audit-events", params={"limit": AUDIT_PAGE}).json()
        assert rows_shown(page) == [shown(e) for e in events["events"]]
        axe(page, "audit log")
    finally:
        if mine is not None:
            with stack.client(admin) as c:
                assert c.delete(f"/api/v1/acme/tokens/{mine}").status_code == 204


def test_the_audit_log_pages_to_the_end_as_the_api_does(console: BrowserPage, stack: Stack) -> None:
    admin = dev_token(stack, "admin@acme")
    page = sign_in(console, "admin@acme")
    page.wait_for_load_state("networkidle")
    # Given more events than a page holds in acme: 11 tokens made and deleted (22 events)
    with stack.client(admin) as c:
        made = []
        for n in range(11):
            r = c.post("/api/v1/acme/tokens/", json={"name": f"page-{n}", "expires_in_days": 1})
            assert r.status_code == 201, r.text
            made.append(r.json()["id"])
        for token_id in made:
            assert c.delete(f"/api/v1/acme/tokens/{token_id}").status_code == 204
        # And the API's own pages of 20, followed to the end
        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": AUDIT_PAGE, **({"cursor": cursor} if cursor else {})}
            r = c.get("/api/v1/acme/audit-events", params=params)
            assert r.status_code == 200, r.text
            pages.append(r.json()["events"])
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
            assert len(pages) < 100, "the API's pages do not end"
        everything = c.get("/api/v1/acme/audit-events", params={"limit": 100}).json()
    flat = [e for p in pages for e in p]
    ids = [e["id"] for e in flat]
    assert len(ids) == len(set(ids)), "the API's pages repeat an event"
    if everything["next_cursor"] is None:  # at most 100: one read holds them all
        assert ids == [e["id"] for e in everything["events"]], "the API's pages leave a gap"
    assert len(pages) >= 2 and all(len(p) == AUDIT_PAGE for p in pages[:-1]), [
        len(p) for p in pages
    ]
    newest = [("token.deleted", "admin@acme", f"token {t}") for t in reversed(made)] + [
        ("token.created", "admin@acme", f"token {t}") for t in reversed(made)
    ]
    assert [shown(e) for e in flat[:22]] == newest

    # When the admin opens the audit log and follows "Next page" while there is one
    go(page, "#/admin/audit", "Audit log")
    following = page.get_by_role("button", name="Next page")
    previous = page.get_by_role("button", name="Previous page")
    seen: list[tuple[str, str, str]] = []
    for number, events in enumerate(pages, start=1):
        if number > 1:
            with page.expect_response(re.compile(r"/api/v1/acme/audit-events\?")):
                following.click()
        # Then each page shows the API's page of the same number, exactly
        expect(page.get_by_text(f"Newest first. Page {number}.")).to_be_visible()
        expect_rows(page, events)
        assert rows_shown(page) == [shown(e) for e in events], number
        seen += rows_shown(page)
        if number == 1:
            expect(previous).to_be_disabled()
        else:
            expect(previous).to_be_enabled()
    # And the last page offers no next one: no duplicate, no gap on the way
    expect(following).to_be_disabled()
    assert seen == [shown(e) for e in flat]
    assert seen[:22] == newest
    axe(page, f"audit log, page {len(pages)}")

    # When the admin goes back a page, the one before shows again
    with page.expect_response(re.compile(r"/api/v1/acme/audit-events")):
        previous.click()
    expect(page.get_by_text(f"Newest first. Page {len(pages) - 1}.")).to_be_visible()
    expect_rows(page, pages[-2])
    expect(following).to_be_enabled()
