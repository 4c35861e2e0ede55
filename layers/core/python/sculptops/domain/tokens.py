"""Personal API tokens and agent tokens as stored: a digest, never the value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sculptops.domain.errors import InvalidInput
from sculptops.domain.identity import CredentialKind
from sculptops.domain.roles import Role

NAME_MAX = 100
DAYS_MIN = 1
DAYS_MAX = 366
# How many tokens may stand above a token in the minting tree: its lineage stays one small
# attribute, read with the token itself (no ancestor walk on any request).
LINEAGE_MAX = 8


@dataclass(frozen=True)
class StoredToken:
    digest: str
    id: str
    kind: CredentialKind  # TOKEN or AGENT
    owner: str  # user id (personal) or agent id
    name: str
    created_at: datetime
    expires_at: datetime | None
    tenant: str | None = None  # the tenant it was created in (agents: the only tenant)
    ceiling: Role | None = None
    last_used_at: datetime | None = None
    created_by: str | None = None  # id of the token that created it, if any
    # The five most recent distinct source IPs (as API Gateway saw them), newest first.
    last_used_ips: tuple[str, ...] = ()
    # Rotation (domain.rotation): the id of the first token of its rotation family (None: never
    # rotated, the family is the token itself); the token that replaced it; until when the old
    # value still works (the overlap). After that, presenting it is reuse.
    family: str | None = None
    superseded_by: str | None = None
    valid_until: datetime | None = None
    # Lineage, given at creation: the ids of every token that minted it, directly or through
    # others (a rotation under another token counts as minted by that token too), and the
    # rotation families of those tokens. None: made before lineage existed (`created_by` only).
    lineage: tuple[str, ...] | None = None
    lineage_families: tuple[str, ...] = ()

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @property
    def family_id(self) -> str:
        return self.family or self.id


@dataclass(frozen=True)
class TokenPage:
    tokens: list[StoredToken]
    next_cursor: str | None


def ceiling_rank(ceiling: Role | None) -> int:
    """A token without a ceiling acts with its owner's full role: it ranks as admin, the top."""
    return (ceiling or Role.ADMIN).rank


def may_manage(limit: Role | None, token: StoredToken) -> bool:
    """Whether a credential whose ceiling is `limit` may list, delete, rotate or revoke `token`.

    `limit` None means no limit: a JWT session or a token without a ceiling manages them all.
    """
    return limit is None or ceiling_rank(token.ceiling) <= limit.rank


def lineage_of_child(parent: StoredToken) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The lineage (ancestors, their families) of a token `parent` mints; InvalidInput (422)
    when it would stand deeper than LINEAGE_MAX in the minting tree."""
    ancestors = (*(parent.lineage or _legacy(parent)), parent.id)
    families = (*parent.lineage_families, parent.family_id)
    return _bounded(ancestors, families)


def merged_lineage(
    *lines: tuple[tuple[str, ...], tuple[str, ...]],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One lineage from several (a rotation under another token: both places in the tree)."""
    ancestors = tuple(i for line in lines for i in line[0])
    families = tuple(i for line in lines for i in line[1])
    return _bounded(ancestors, families)


def _legacy(token: StoredToken) -> tuple[str, ...]:
    return (token.created_by,) if token.created_by else ()


def _bounded(
    ancestors: tuple[str, ...], families: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ancestors = tuple(dict.fromkeys(ancestors))
    if len(ancestors) > LINEAGE_MAX:
        raise InvalidInput(
            "lineage",
            f"a token may stand at most {LINEAGE_MAX} levels below the token that first minted "
            "it; create this token with your session (JWT) or a token higher up",
        )
    kept = tuple(f for f in dict.fromkeys(families) if f not in ancestors)
    return ancestors, kept


def descendants(tokens: Iterable[StoredToken], roots: Iterable[str]) -> list[StoredToken]:
    """Every token minted, directly or through others, by a token whose id is in `roots`
    (by `created_by`, or by its lineage: a rotation under another token counts too).

    The roots themselves are not included; a cycle (impossible by construction) cannot loop.
    """
    children: dict[str, list[StoredToken]] = {}
    for token in tokens:
        makers = {token.created_by, *(token.lineage or ())} - {None, token.id}
        for maker in makers:
            assert maker is not None
            children.setdefault(maker, []).append(token)
    seen: set[str] = set(roots)
    frontier = list(seen)
    found: list[StoredToken] = []
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child.id not in seen:
                seen.add(child.id)
                found.append(child)
                frontier.append(child.id)
    return found


# Characters that show nothing: fillers of some scripts, and the blank braille pattern.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Spaces, format characters (zero-width space, joiners, BOM), combining marks, controls,
# unassigned and private-use code points (nothing, a box, or a glyph only some fonts have).
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cf", "Mn", "Me", "Cc", "Cn", "Co"})


def is_blank(name: str) -> bool:
    """Whether a name would show nothing at all (a list of such names cannot be told apart)."""
    import unicodedata

    return all(ch in _FILLERS or unicodedata.category(ch) in _INVISIBLE for ch in name)
