"""What the governance services share: paging bounds, the caller's tenant, reads of a tenant and
of a user's personal tokens.

Every change is written with its audit event in one transaction (the stores' job), and is in
force on the next request: the authorizer reads the user (memberships) and the tenant (policy)
by key, strongly consistent, on every request.
"""

from __future__ import annotations

from collections.abc import Sequence

from sculptops.domain import ids
from sculptops.domain.errors import Forbidden, InvalidInput, NotFound
from sculptops.domain.governance import AuditEvent, Notification
from sculptops.domain.identity import Caller, CredentialKind, Tenant
from sculptops.domain.tokens import StoredToken
from sculptops.ports import IdentityStore, TokenLedger, TokenStore

LIMIT_MAX = 100
# A filtered list reads at most this many index pages per request, then returns a cursor.
PAGES_MAX = 20
REASON_MAX = 200
# DynamoDB's limit on the items of one TransactWriteItems.
TRANSACTION_ITEMS = 100


def check_limit(limit: int) -> None:
    if not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput("limit", f"must be between 1 and {LIMIT_MAX}", "query")


def check_cursor(cursor: str | None, prefix: str) -> None:
    if cursor is not None and not ids.is_id(cursor, prefix):
        raise InvalidInput("cursor", "is not a cursor this API returned", "query")


def tenant_of(caller: Caller) -> str:
    if caller.tenant is None:
        raise Forbidden("this route needs a tenant")
    return caller.tenant


def tenant_record(identities: IdentityStore, slug: str) -> Tenant:
    tenant = identities.get_tenant(slug)
    if tenant is None:
        raise NotFound(f"tenant {slug} not found")
    return tenant


def personal_tokens(tokens: TokenStore, owner: str) -> list[StoredToken]:
    """Every personal (not agent) token of the owner."""
    found: list[StoredToken] = []
    cursor: str | None = None
    while True:
        page = tokens.list_for_owner(owner, cursor, 1000)
        found.extend(t for t in page.tokens if t.kind is CredentialKind.TOKEN)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def all_tenant_tokens(ledger: TokenLedger, tenant: str) -> list[StoredToken]:
    """Every token of the tenant's index that still exists."""
    found: list[StoredToken] = []
    cursor: str | None = None
    while True:
        page = ledger.tenant_tokens(tenant, cursor, LIMIT_MAX)
        found.extend(page.tokens)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def revoke_each(
    ledger: TokenLedger,
    tokens: Sequence[StoredToken],
    events: Sequence[AuditEvent],
    notice: Notification | None = None,
    unlink_from: Sequence[str] = (),
) -> bool:
    """Delete `tokens` (the first is the one asked for, the rest what it minted), each with its
    own audit event (`events[i]` records `tokens[i]`), in as few transactions as DynamoDB's
    100 items allow; the owner's notice goes with the first token.

    A token and its event are always written together. A batch that finds one of its tokens
    gone (deleted meanwhile, with its own event) is retried one token at a time. False,
    writing nothing, when the first token was gone already.
    """
    if len(tokens) != len(events):
        raise ValueError("one event per token")
    per_token = 2 + len(unlink_from)  # the delete, the event, one index entry per tenant
    room = max(1, (TRANSACTION_ITEMS - 1) // per_token)  # 1: the notice
    first = True
    for start in range(0, len(tokens), room):
        batch = list(zip(tokens[start : start + room], events[start : start + room], strict=True))
        note = notice if first else None
        if ledger.revoke(
            [t for t, _ in batch], [e for _, e in batch], note, unlink_from=unlink_from
        ):
            first = False
            continue
        for i, (token, event) in enumerate(batch):
            done = ledger.revoke(
                [token], [event], note if i == 0 else None, unlink_from=unlink_from
            )
            if first and i == 0 and not done:
                return False
        first = False
    return True
