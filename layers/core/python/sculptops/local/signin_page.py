"""The dev identity provider's authorize page: one form, a submit button per seeded user.

No script at all (the page's CSP in local/devidp.py allows none); every value in it is escaped,
the authorization request's parameters and the CSRF value travel as hidden fields.
"""

from __future__ import annotations

import html

from sculptops.local.authorization_codes import AuthorizationRequest

PAGE_TITLE = "Sign in — SculptOps dev identity provider"
CSRF_FIELD = "csrf"


def sign_in_page(users: list[str], request: AuthorizationRequest, nonce: str) -> str:
    """The page that lists the seeded users, each a submit button of one form."""
    e = html.escape
    fields = {**request.parameters(), CSRF_FIELD: nonce}
    hidden = "\n".join(
        f'      <input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in fields.items()
    )
    buttons = "\n".join(
        f'      <li><button type="submit" name="username" value="{e(u)}">{e(u)}</button></li>'
        for u in users
    )
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(PAGE_TITLE)}</title>
  <link rel="icon" href="data:,">
</head>
<body>
  <main>
    <h1>Sign in to SculptOps</h1>
    <p>This is the local stack's dev identity provider: pick a seeded user to sign in as.
      It exists on the local stack only, never on a deployed stage.</p>
    <form method="post" action="/dev/oidc/authorize">
{hidden}
      <ul>
{buttons}
      </ul>
    </form>
  </main>
</body>
</html>
"""
