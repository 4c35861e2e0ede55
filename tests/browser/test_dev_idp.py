"""The dev identity provider's sign-in page in a real Chromium: pick a user, land with a code.

The redirect URI is the stack's /health (same origin, and nothing there acts on the code), so
this test depends on the identity provider alone, not on the console's app.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.browser.conftest import BrowserPage

SHOT = Path("/tmp/c1_authorize.png")


def test_sign_in_page_gives_a_code_to_the_redirect_uri(browser_page: BrowserPage) -> None:
    page = browser_page.page
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state = secrets.token_urlsafe(16)
    redirect_uri = f"{browser_page.origin}/health"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": "sculptops-console",
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    response = browser_page.goto(f"/dev/oidc/authorize?{query}")
    assert response.status == 200
    assert page.title() == "Sign in — SculptOps dev identity provider"
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_text("dev identity provider").first.is_visible()
    for user in ("admin@demo", "member@demo", "viewer@demo", "admin@acme"):
        assert page.get_by_role("button", name=user, exact=True).is_visible(), user
    shot = browser_page.screenshot("authorize", full_page=True)
    shutil.copyfile(shot, SHOT)

    # Keyboard only: the first button is reachable with Tab, and Enter would submit it.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"

    with page.expect_navigation(url=re.compile(r"/health\?")):
        page.get_by_role("button", name="admin@demo", exact=True).click()
    landed = urlsplit(page.url)
    assert f"{landed.scheme}://{landed.netloc}{landed.path}" == redirect_uri
    got = parse_qs(landed.query)
    assert got["state"] == [state]
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", got["code"][0])

    # The code is good once, for this verifier: as the console's fetch would redeem it.
    exchanged = page.request.post(
        f"{browser_page.origin}/dev/oidc/token",
        form={
            "grant_type": "authorization_code",
            "code": got["code"][0],
            "redirect_uri": redirect_uri,
            "client_id": "sculptops-console",
            "code_verifier": verifier,
        },
    )
    assert exchanged.status == 200 and exchanged.json()["token_type"] == "Bearer"
    assert browser_page.console_errors == []
    assert browser_page.foreign_requests == []
