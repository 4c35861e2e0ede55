"""The console's personal-token flows beyond create/copy/delete, in a real Chromium: rotating
with and without an overlap, revoking all of one's tokens, the notices above the page, and the
create dialog's refusals.

These tests revoke token families, write notices and change a tenant's token policy: they run
on a stack of their own (one per file, without agents), so the session's shared stack sees none
of it. Locators go by role and label; every test ends with no console error and no foreign
request (the `console` fixture).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import TIMEOUT_MS, BrowserPage
from tests.browser.console.test_console import (
    TOKEN_RE,
    WIDE,
    axe,
    clean,
    dev_token,
    go,
    sign_in,
)
from tests.stack import Stack, start_stack, stop_stack

OVERLAP_LABEL = "Overlap (how long the old value keeps working)"


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this file's own: what these tests revoke and write stays here."""
    s = start_stack(tmp_path_factory.mktemp("token-flows"), agents=False)
    try:
        yield s
    finally:
        stop_stack(s)


@pytest.fixture
def console(browser: Browser, own: Stack, tmp_path: Path) -> Iterator[BrowserPage]:
    """As `browser_page` + test_console's `console`, against this file's own stack."""
    context = browser.new_context(viewport={"width": WIDE["width"], "height": WIDE["height"]})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    bp = BrowserPage(page=page, origin=own.url, shots=tmp_path)
    page.on("console", bp._on_console)
    page.on("pageerror", bp._on_page_error)
    context.on("request", bp._on_request)
    try:
        yield bp
        clean(bp)
    finally:
        context.close()


def new_token(
    stack: Stack, username: str, name: str, days: int, tenant: str = "demo"
) -> dict[str, Any]:
    """A token made over HTTP with the user's session, as a script would."""
    with stack.client(dev_token(stack, username)) as c:
        r = c.post(f"/api/v1/{tenant}/tokens/", json={"name": name, "expires_in_days": days})
    assert r.status_code == 201, r.text
    return dict(r.json())


def me(stack: Stack, value: str, tenant: str | None = None) -> httpx.Response:
    path = f"/api/v1/{tenant}/me" if tenant else "/api/v1/me"
    with stack.client(value) as c:
        return c.get(path)


def listed(stack: Stack, username: str) -> list[dict[str, Any]]:
    with stack.client(dev_token(stack, username)) as c:
        r = c.get("/api/v1/demo/tokens/", params={"limit": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["tokens"])


def rows(page: Page, name: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def signed_in_with_token(
    console: BrowserPage, own: Stack, prefix: str
) -> tuple[str, dict[str, Any], Page]:
    """A fresh 30-day token of viewer@demo (its name and the API's answer), signed in as them."""
    name = f"{prefix}-{secrets.token_hex(3)}"
    old = new_token(own, "viewer@demo", name, 30)
    return name, old, sign_in(console, "viewer@demo")


def open_rotate(page: Page, name: str) -> Locator:
    """The Rotate dialog of the token row `name`, opened from its row."""
    rows(page, name).get_by_role("button", name=f"Rotate {name}").click()
    return page.get_by_role("dialog", name=f"Rotate token {name}")


def shown_nowhere_else(page: Page, value: str) -> None:
    """The value is in the one read-only field of the dialog, in no text or markup."""
    holders = page.evaluate(
        "(v) => [...document.querySelectorAll('input, textarea')]"
        ".filter((e) => e.value === v).length",
        value,
    )
    assert holders == 1, holders
    assert value not in page.inner_text("body")
    assert value not in page.content()


# ---- 1. rotation ----


def test_rotate_with_an_overlap_shows_the_new_value_once_and_the_old_keeps_working(
    console: BrowserPage, own: Stack
) -> None:
    # Given a token of viewer@demo that a pipeline uses
    name, old, page = signed_in_with_token(console, own, "deploy")
    expect(rows(page, name)).to_have_count(1)

    # When the user rotates it with a 5-minute overlap
    dialog = open_rotate(page, name)
    dialog.get_by_label(OVERLAP_LABEL).select_option(label="5 minutes")
    axe(page, "the rotate dialog")
    asked = datetime.now(UTC)
    dialog.get_by_role("button", name="Rotate token").click()

    # Then the new value is shown once, with the warning and until when the old one works
    shown = page.get_by_role("dialog", name=f"Token {name} rotated")
    expect(shown).to_contain_text("It is never shown again.")
    expect(shown).to_contain_text("The old value works until")
    new = shown.get_by_label("Token value").input_value()
    assert TOKEN_RE.fullmatch(new) and new != old["token"], "not a new token value"
    until = datetime.fromisoformat(str(shown.locator("time").get_attribute("datetime")))
    assert timedelta(minutes=4) < until - asked < timedelta(minutes=6), (asked, until)
    shown_nowhere_else(page, new)
    assert old["token"] not in page.content()
    axe(page, "the rotated value shown once")

    # And both values work during the overlap, as two tokens of the same name
    old_me, new_me = me(own, old["token"]), me(own, new)
    assert (old_me.status_code, new_me.status_code) == (200, 200), (old_me.text, new_me.text)
    assert old_me.json()["credential"]["id"] == old["id"]
    assert new_me.json()["credential"]["id"] != old["id"]
    assert new_me.json()["credential"]["name"] == name

    # When the dialog is closed, the list shows both (the old one until its overlap ends)
    shown.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(rows(page, name)).to_have_count(2)
    assert new not in page.content() and new not in page.inner_text("body")
    # And no value reached the server's log
    assert new not in own.logs() and old["token"] not in own.logs()


def test_the_list_tells_the_rotated_away_token_from_its_replacement(
    console: BrowserPage, own: Stack
) -> None:
    # Given a token of viewer@demo rotated with a 5-minute overlap
    name = f"twin-{secrets.token_hex(3)}"
    old = new_token(own, "viewer@demo", name, 30)
    with own.client(dev_token(own, "viewer@demo")) as c:
        r = c.post(f"/api/v1/demo/tokens/{old['id']}/rotate", json={"overlap_seconds": 300})
    assert r.status_code == 201, r.text
    # When its owner opens the tokens page during the overlap
    page = sign_in(console, "viewer@demo")
    both = rows(page, name)
    expect(both).to_have_count(2)
    # Then the old one says it was rotated away and until when it works, so that the user
    # knows which row is which
    old_row = both.filter(has_text=re.compile(r"\brotation\b", re.IGNORECASE))
    expect(old_row).to_have_count(1, timeout=2000)
    expect(old_row).to_contain_text("works until")
    # And only the replacement can be rotated; each Delete names which value it deletes
    expect(old_row.get_by_role("button", name=f"Rotate {name}")).to_have_count(0)
    expect(old_row.get_by_role("button", name=f"Delete the old value of {name}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Rotate {name}", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name=f"Delete {name}", exact=True)).to_have_count(1)


def test_rotate_without_overlap_refuses_the_old_value_at_once(
    console: BrowserPage, own: Stack
) -> None:
    # Given a token of viewer@demo
    name, old, page = signed_in_with_token(console, own, "nightly")

    # When the user rotates it, leaving the overlap at its default
    dialog = open_rotate(page, name)
    overlap = dialog.get_by_label(OVERLAP_LABEL)
    expect(overlap).to_have_value("0")
    expect(overlap.locator("option:checked")).to_have_text("None: the old value fails at once")
    dialog.get_by_role("button", name="Rotate token").click()

    # Then the page says the old value no longer works, and shows the new one once
    shown = page.get_by_role("dialog", name=f"Token {name} rotated")
    expect(shown).to_contain_text("The old value no longer works.")
    new = shown.get_by_label("Token value").input_value()
    assert TOKEN_RE.fullmatch(new) and new != old["token"], "not a new token value"
    shown_nowhere_else(page, new)
    assert me(own, new).status_code == 200
    shown.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    # And the list has the replacement only
    expect(rows(page, name)).to_have_count(1)

    # And the old value is refused at once, with the same 401 as any refused credential
    refused = me(own, old["token"])
    assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"})
    assert refused.headers["www-authenticate"] == "Bearer"
    # And, presented after its (empty) overlap, it was a reuse: the new value went too
    # (README, "Rotating a token"), and the list says so once it is read again
    assert me(own, new).status_code == 401
    go(page, "#/runs", "Runs")
    go(page, "#/tokens", "API tokens")
    expect(rows(page, name)).to_have_count(0)


# ---- 2. revoke all ----


def test_revoke_all_refuses_every_token_of_the_user_in_every_tenant(
    console: BrowserPage, own: Stack
) -> None:
    # Given member@demo (member of demo, viewer of acme) with tokens made in both tenants
    tag = secrets.token_hex(3)
    tokens = [
        new_token(own, "member@demo", f"ci-{tag}", 30),
        new_token(own, "member@demo", f"laptop-{tag}", 7),
        new_token(own, "member@demo", f"acme-{tag}", 30, tenant="acme"),
    ]
    for t in tokens:
        for tenant in ("demo", "acme"):
            assert me(own, t["token"], tenant).status_code == 200, (t["name"], tenant)
    page = sign_in(console, "member@demo")
    for t in tokens:
        expect(rows(page, t["name"])).to_have_count(1)

    # When the member revokes all, confirming in the dialog
    page.get_by_role("button", name="Revoke all").click()
    confirm = page.get_by_role("dialog", name="Revoke all your tokens?")
    expect(confirm).to_contain_text("Every API token you own fails at once, in every tenant.")
    axe(page, "the revoke-all dialog")
    confirm.get_by_role("button", name="Revoke all tokens").click()

    # Then the list shows none, and there is nothing left to revoke
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    expect(page.get_by_role("rowheader")).to_have_count(0)
    expect(page.get_by_role("button", name="Revoke all")).to_be_disabled()
    # And every one of those tokens is refused, in each tenant
    for t in tokens:
        for anywhere in (None, "demo", "acme"):
            assert me(own, t["token"], anywhere).status_code == 401, (t["name"], anywhere)
    assert listed(own, "member@demo") == []
    # And the session itself goes on (it is no token), and so do other users' tokens
    expect(page.get_by_role("banner")).to_contain_text("member@demo")
    assert me(own, own.token).status_code == 200

    # And a token made right after works: the revocation is of the tokens that were
    page.get_by_role("button", name="New token").click()
    dialog = page.get_by_role("dialog", name="New token")
    dialog.get_by_label("Name").fill(f"fresh-{tag}")
    dialog.get_by_role("button", name="Create token").click()
    value = (
        page.get_by_role("dialog", name="Token created").get_by_label("Token value").input_value()
    )
    assert me(own, value).status_code == 200
    page.get_by_role("button", name="Done").click()
    expect(rows(page, f"fresh-{tag}")).to_have_count(1)


# ---- 3. notices ----


def test_notices_show_once_signed_in_and_stay_dismissed_for_the_session(
    console: BrowserPage, own: Stack
) -> None:
    # Given admin@acme has a token that expires in 3 days, and the daily notice job ran
    tag = secrets.token_hex(3)
    weekly = new_token(own, "admin@acme", f"weekly-{tag}", 3, tenant="acme")
    job = httpx.post(f"{own.url}/dev/jobs/expiry-notices", timeout=30)
    assert job.status_code == 200 and job.json()["notices_written"] >= 1, job.text
    # And another of its tokens was found in public and revoked as leaked
    leaky = new_token(own, "admin@acme", f"leaky-{tag}", 30, tenant="acme")
    posted = httpx.post(
        f"{own.url}/api/v1/credentials/revoke", json={"credentials": [leaky["token"]]}
    )
    assert posted.status_code == 202, posted.text
    deadline = time.monotonic() + 10
    while me(own, leaky["token"]).status_code != 401:
        assert time.monotonic() < deadline, "the leaked token was not revoked"
        time.sleep(0.2)

    # When admin@acme signs in
    page = sign_in(console, "admin@acme")
    # Then both notices show above the page, naming the tokens, never a value
    notices = page.get_by_role("status", name="Notices")
    expect(notices).to_be_visible()
    expect(notices.get_by_role("heading", name="Notices")).to_be_visible()
    items = notices.get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.filter(has_text=f"'weekly-{tag}'")).to_contain_text("expires in 3 days")
    expect(items.filter(has_text=f"'leaky-{tag}'")).to_contain_text("revoked as leaked")
    body = page.inner_text("body")
    assert weekly["token"] not in body and leaky["token"] not in body
    axe(page, "the notices")

    # When the user dismisses them
    notices.get_by_role("button", name="Dismiss notices").click()
    # Then they are gone, and stay gone on every page of this session
    expect(notices).to_have_count(0)
    expect(page.get_by_text(f"'weekly-{tag}'")).to_have_count(0)
    for route, heading in (
        ("#/runs", "Runs"),
        ("#/admin/policy", "Token policy"),
        ("#/admin/audit", "Audit log"),
        ("#/tokens", "API tokens"),
    ):
        go(page, route, heading)
        expect(notices).to_have_count(0)
        expect(page.get_by_text("revoked as leaked")).to_have_count(0)
    # And the API still has them: the dismissal is this tab's only (README, "Not built yet")
    with own.client(dev_token(own, "admin@acme")) as c:
        notes = c.get("/api/v1/me/notifications").json()["notifications"]
    mine = {n["type"] for n in notes if n["token_id"] in (weekly["id"], leaky["id"])}
    assert mine == {"token.expiring", "token.revoked_as_leaked"}, notes

    # And a new session shows them again
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    sign_in(console, "admin@acme")
    expect(notices.get_by_role("listitem")).to_have_count(2)


# ---- 4. the create dialog's refusals ----


def _day(offset: int) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).date().isoformat()


def test_the_create_dialog_refuses_bad_input_creates_nothing_and_stays_usable(
    console: BrowserPage, own: Stack
) -> None:
    admin_jwt = dev_token(own, "admin@demo")
    policy_path = "/api/v1/demo/settings/token-policy"
    with own.client(admin_jwt) as c:
        before = c.get(policy_path).json()
    policy = {k: before[k] for k in ("admins_only", "max_lifetime_days", "default_lifetime_days")}
    try:
        # Given demo's token policy allows 7 days at most (member@demo cannot read it)
        with own.client(admin_jwt) as c:
            r = c.put(policy_path, json={**policy, "max_lifetime_days": 7})
            assert r.status_code == 200, r.text
        _refusals(console, own)
    finally:
        with own.client(admin_jwt) as c:
            r = c.put(policy_path, json=policy)
            assert r.status_code == 200, r.text


def _refusals(console: BrowserPage, own: Stack) -> None:
    page = sign_in(console, "member@demo")
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/tokens/" in r.url else None,
    )
    name = f"val-{secrets.token_hex(3)}"
    page.get_by_role("button", name="New token").click()
    dialog = page.get_by_role("dialog", name="New token")
    field = dialog.get_by_label("Name")
    create = dialog.get_by_role("button", name="Create token")
    alert = dialog.get_by_role("alert")

    def refused(expected: str) -> None:
        """The API's 422, its message naming the field, in the dialog."""
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            create.click()
        assert answer.value.status == 422
        expect(alert).to_have_text(expected)
        expect(dialog).to_be_visible()

    def blocked(control: Locator, validity: str) -> None:
        """Refused by the form itself, before any request (the count of POSTs below shows no
        request left later either)."""
        create.click()
        assert control.evaluate(f"(e) => e.validity.{validity} && e.validationMessage !== ''")
        expect(dialog).to_be_visible()

    # When the name is empty: the form asks for it, nothing is sent
    blocked(field, "valueMissing")
    # When the name is blank: the API's message names the field
    field.fill("   ")
    refused("Invalid request: name: must not be blank")
    axe(page, "the create dialog with the API's refusal")
    # When the name is too long: the field holds no more than the API takes (100)
    field.fill("n" * 150)
    expect(field).to_have_value("n" * 100)

    field.fill(name)
    # When the expiry is in the past: the form refuses dates before tomorrow, and 0 days
    dialog.get_by_role("radio", name="A date").check()
    date = dialog.get_by_label("Expiry date")
    date.fill("2020-01-01")
    blocked(date, "rangeUnderflow")
    dialog.get_by_role("radio", name="Custom number of days").check()
    days = dialog.get_by_label("Days until expiry")
    days.fill("0")
    blocked(days, "rangeUnderflow")

    # When the expiry is beyond the policy's 7 days, each way of choosing it
    days.fill("30")
    refused("Invalid request: expires_in_days: must be between 1 and 7")
    dialog.get_by_role("radio", name="30 days").check()
    refused("Invalid request: expires_in_days: must be between 1 and 7")
    dialog.get_by_role("radio", name="A date").check()
    date.fill(_day(30))
    refused("Invalid request: expiry_date: must be at most 7 days from now")

    # Then nothing was created
    assert len(posts) == 4, posts
    names = [t["name"] for t in listed(own, "member@demo")]
    assert name not in names and "   " not in names, names
    # And the dialog still works: 7 days is within the policy
    expect(field).to_have_value(name)
    dialog.get_by_role("radio", name="7 days").check()
    create.click()
    shown = page.get_by_role("dialog", name="Token created")
    value = shown.get_by_label("Token value").input_value()
    assert me(own, value, "demo").status_code == 200
    shown.get_by_role("button", name="Done").click()
    expect(rows(page, name)).to_have_count(1)
    made = [t for t in listed(own, "member@demo") if t["name"] == name]
    assert len(made) == 1, made
    lifetime = datetime.fromisoformat(made[0]["expiry_date"]) - datetime.now(UTC)
    assert timedelta(days=6) < lifetime <= timedelta(days=7), made
    # The browser logs each refused request itself (422): those, and only those, are expected.
    refusals = [e for e in console.console_errors if "422" in e]
    assert len(refusals) == 4, console.console_errors
    for e in refusals:
        console.console_errors.remove(e)


# ---- where focus goes when the control that had it goes away ----

FOCUS_IN_MAIN_MS = 2000


def test_focus_stays_in_the_page_after_dismissing_notices(console: BrowserPage, own: Stack) -> None:
    # Given viewer@demo has a notice (a token that expires in 2 days, after the job ran)
    new_token(own, "viewer@demo", f"soon-{secrets.token_hex(3)}", 2)
    assert httpx.post(f"{own.url}/dev/jobs/expiry-notices", timeout=30).status_code == 200
    page = sign_in(console, "viewer@demo")
    # When a keyboard user dismisses the notices
    dismiss = page.get_by_role("button", name="Dismiss notices")
    dismiss.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status", name="Notices")).to_have_count(0)
    # Then focus is still in the page's content, not back at the top of the document
    expect(page.locator("main :focus")).to_have_count(1, timeout=FOCUS_IN_MAIN_MS)


def test_focus_stays_in_the_page_after_revoke_all(console: BrowserPage, own: Stack) -> None:
    # Given viewer@demo has a token
    name = f"gone-{secrets.token_hex(3)}"
    new_token(own, "viewer@demo", name, 30)
    page = sign_in(console, "viewer@demo")
    expect(rows(page, name)).to_have_count(1)
    # When a keyboard user revokes all, confirming
    page.get_by_role("button", name="Revoke all").focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog").get_by_role("button", name="Revoke all tokens").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    # Then focus is still in the page's content, not back at the top of the document
    expect(page.locator("main :focus")).to_have_count(1, timeout=FOCUS_IN_MAIN_MS)
