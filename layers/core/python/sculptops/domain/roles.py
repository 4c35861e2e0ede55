"""Roles per tenant, ordered: viewer < member < admin."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank

    @staticmethod
    def lowest(a: Role, b: Role | None) -> Role:
        """The lower of a role and an optional ceiling."""
        if b is None:
            return a
        return a if a.rank <= b.rank else b

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown role {value!r}") from None


_RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3}
