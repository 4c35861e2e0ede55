"""Plain tables for pipes and scripts: one row a line, tab-separated, every value whole."""

from __future__ import annotations

from typing import Any


def clean(value: Any) -> str:
    """One cell: never a tab or a line break inside (whitespace runs become one space)."""
    return "" if value is None else " ".join(str(value).split())


def print_rows(header: list[str], rows: list[list[Any]]) -> None:
    print("\t".join(header))
    for row in rows:
        print("\t".join(clean(v) for v in row))
