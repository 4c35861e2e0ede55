"""Rotate a personal token: a new value with the same name and ceiling, the old one working on
for an overlap of 0..3600 s (so that a pipeline can switch without a failed run), then refused;
presented after that, it revokes its whole rotation family (services.token_use).

The new token, the old one marked superseded and the `token.rotated` audit event are written in
one transaction, conditional on the old token not being superseded yet: of two concurrent
rotations of one token, one wins and the other gets 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sculptops.domain import ids, token_format
from sculptops.domain.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from sculptops.domain.governance import AuditType, new_event
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.domain.rotation import check_overlap, earlier_values, power_ends, superseded
from sculptops.domain.tokens import StoredToken, may_manage, merged_lineage
from sculptops.ports import Clock, IdentityStore, TokenLedger, TokenStore
from sculptops.services import token_terms as terms
from sculptops.services.governance_common import personal_tokens

ABOVE_CEILING = "this token cannot manage a token with a higher ceiling"


@dataclass(frozen=True)
class Rotation:
    expiry_date: datetime | date | None = None
    expires_in_days: int | None = None
    overlap_seconds: int | None = None


@dataclass(frozen=True)
class Rotated:
    token: StoredToken  # the new one
    value: str  # shown once, in the rotate response only
    old: StoredToken  # as the rotation left it: superseded_by, valid_until


class TokenRotation:
    def __init__(
        self,
        tokens: TokenStore,
        identities: IdentityStore,
        ledger: TokenLedger,
        hasher: token_format.TokenHasher,
        clock: Clock,
        prefix: str,
    ) -> None:
        self._tokens = tokens
        self._identities = identities
        self._ledger = ledger
        self._hasher = hasher
        self._clock = clock
        self._prefix = prefix

    def rotate(self, caller: Caller, token_id: str, request: Rotation) -> Rotated:
        """The new token and its value (shown once). The tenant's token policy applies to the
        new expiry as on create; a token may rotate only tokens it may manage (ceiling)."""
        tenant = terms.tenant_of(caller, self._identities)
        terms.check_may_mint(caller, tenant)
        overlap = check_overlap(request.overlap_seconds)
        old = self._current(caller, token_id)
        now = self._clock.now()
        if old.superseded_by is not None:
            raise Conflict(f"token {token_id} was rotated already; rotate its replacement")
        if old.expired(now):
            raise Conflict(f"token {token_id} has expired; create a new one")
        cap = self._cap(caller, old)
        life = old.expires_at - old.created_at if old.expires_at is not None else None
        expires_at = terms.expiry(
            tenant,
            request.expiry_date,
            request.expires_in_days,
            now,
            cap,
            default_life=life,  # an empty body: the same lifetime again, within the policy
            longest_life=life if caller.kind is CredentialKind.TOKEN else None,
        )
        minter = self._other_token(caller, old)
        ancestors, families = self._lineage(old, minter)
        value = token_format.generate(self._prefix, self._hasher.owner_key(old.owner))
        new = StoredToken(
            digest=self._hasher.digest(value),
            id=ids.sortable_id("tok", int(now.timestamp() * 1000)),
            kind=CredentialKind.TOKEN,
            owner=old.owner,
            name=old.name,
            created_at=now,
            expires_at=expires_at,
            tenant=old.tenant or tenant.slug,
            ceiling=old.ceiling,
            created_by=old.created_by,  # the same place in the minting tree as the old one
            family=old.family_id,
            lineage=ancestors,
            lineage_families=families,
        )
        event = new_event(
            caller,
            now,
            AuditType.TOKEN_ROTATED,
            "token",
            target_id=old.id,
            target_user=old.owner,
            details={
                "name": old.name,
                "new_token_id": new.id,
                "family": old.family_id,
                "overlap_seconds": overlap,
                "minted_by": minter.id if minter is not None else None,
            },
        )
        owner = self._identities.get_user(old.owner)
        tenants = sorted(owner.memberships) if owner is not None else [tenant.slug]
        replaced = superseded(old, new.id, now, overlap)
        if not self._ledger.rotate(replaced, new, tenants, event):
            raise Conflict(f"token {token_id} was rotated or deleted meanwhile")
        if minter is not None and self._tokens.get(minter.digest) is None:
            # The rotating token was deleted or revoked while this rotation was written: its
            # cascade may have looked before the new token existed. Undo, as create does.
            self._tokens.delete(new)
            raise NotAuthenticated("rotating-token-revoked")
        if self._tokens.get(old.digest) is None:
            # The old token was revoked while this rotation was written (an admin's revoke
            # looked before the new token existed): the new one goes too.
            self._tokens.delete(new)
            raise NotFound(f"token {token_id} was revoked meanwhile")
        self._shorten_earlier(old, replaced)
        return Rotated(token=new, value=value, old=replaced)

    def _shorten_earlier(self, old: StoredToken, replaced: StoredToken) -> None:
        """The values `old` itself replaced stop no later than `old` now does: after A -> B
        with an overlap, B -> C ends A's overlap too (at B's). A first rotation reads nothing."""
        end = replaced.valid_until
        if old.family is None or end is None:
            return
        for earlier in earlier_values(personal_tokens(self._tokens, old.owner), old):
            if earlier.valid_until is not None and earlier.valid_until > end:
                self._tokens.shorten_overlap(earlier, end)

    def _other_token(self, caller: Caller, old: StoredToken) -> StoredToken | None:
        """The calling token when it rotates another token than itself: the new token counts
        as minted by it too (deleting or revoking the caller takes the new token along)."""
        if caller.kind is not CredentialKind.TOKEN or caller.credential_id == old.id:
            return None
        return terms.minting_token(caller, self._tokens)

    @staticmethod
    def _lineage(old: StoredToken, minter: StoredToken | None) -> terms.Lineage:
        """The old token's place in the minting tree and, rotated by another token, under it."""
        if old.lineage is not None:
            place: terms.Lineage = (old.lineage, old.lineage_families)
        else:  # stored before lineage existed: its maker is all that is known
            place = ((old.created_by,) if old.created_by else (), ())
        if minter is None:
            return place
        return merged_lineage(place, terms.lineage_under(minter))

    def _current(self, caller: Caller, token_id: str) -> StoredToken:
        """The caller's token by id, as its item is now (strongly consistent)."""
        if caller.kind is not CredentialKind.TOKEN and caller.kind is not CredentialKind.JWT:
            raise Forbidden("only a person's credential can rotate tokens")
        found = self._tokens.find(caller.subject, token_id) if ids.is_id(token_id, "tok") else None
        if found is None or found.kind is not CredentialKind.TOKEN:
            raise NotFound(f"token {token_id} not found")
        if not may_manage(caller.ceiling, found):
            raise Forbidden(ABOVE_CEILING)
        # The owner index is eventually consistent: read the item itself by key.
        current = self._tokens.get(found.digest)
        if current is None or current.id != found.id or current.owner != caller.subject:
            raise NotFound(f"token {token_id} not found")
        return current

    def _cap(self, caller: Caller, old: StoredToken) -> datetime | None:
        """The latest expiry the new token may have: never after the token that minted the old
        one, nor after the calling token when it rotates another token than itself."""
        caps: list[datetime] = []
        another = caller.kind is CredentialKind.TOKEN and caller.credential_id != old.id
        if another and caller.expires_at is not None:
            caps.append(caller.expires_at)
        if old.created_by is not None:
            parent = self._tokens.find(old.owner, old.created_by)
            # A parent rotated away works only until its overlap ends: so does what it minted.
            end = power_ends(parent) if parent is not None else None
            if end is not None:
                caps.append(end)
        return min(caps) if caps else None
