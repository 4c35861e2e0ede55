"""`sculptops tokens list` on an 80-column terminal: every id whole, so it can be copied."""

from __future__ import annotations

from rich.console import Console

from sculptops.cli.tokens import token_table

TOKENS = [
    {
        "id": f"tok_01a20821e481b2f2961e33a{i}",
        "name": name,
        "expiry_date": "2027-02-21T11:19:28.641753Z",
        "created_at": "2026-11-23T11:19:28.641753Z",
        "last_used_at": None if i else "2026-11-23T11:20:00.000001Z",
    }
    for i, name in enumerate(["laptop", "a rather long name for the token of a CI job"])
]


def test_ids_are_never_cut_on_a_narrow_terminal() -> None:
    # Given an 80-column terminal
    console = Console(width=80, force_terminal=True, record=True, color_system=None)
    # When the tokens are printed as a table
    console.print(token_table(TOKENS))
    text = console.export_text()
    # Then each id is on one line, whole, and nothing is wider than the terminal
    for token in TOKENS:
        assert token["id"] in text
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_plain_rows_keep_one_row_a_line_whatever_a_value_holds(capsys):
    # Given values with tabs, line breaks (also Unicode ones) and a missing value
    from sculptops.cli.tables import print_rows

    # When printed as plain rows
    print_rows(["id", "name", "used"], [["tok_1", "a\tb\nc\u2028d  e", None]])
    # Then one line a row, three cells each, whitespace runs as one space, None as empty
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["id\tname\tused", "tok_1\ta b c d e\t"]
