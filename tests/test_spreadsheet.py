"""CSV cells a spreadsheet shows as text, never runs as formulas (OWASP), and reads back exactly."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from digest.spreadsheet import FORMULA_STARTS, SpreadsheetSafeWriter, guard_cell, unguard_cell

cells = st.text(
    alphabet=st.sampled_from([*FORMULA_STARTS, "'", '"', ",", "\n", "a", "1", " ", "é"]), max_size=8
)


def _written(*rows: list[str]) -> str:
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


@given(st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=4))
def test_no_cell_read_back_starts_a_formula_and_unguarding_gives_the_rows_back(rows: list[list[str]]):
    read = list(csv.reader(io.StringIO(_written(*rows), newline="")))
    assert len(read) == len(rows)
    for row_written, row_read in zip(rows, read, strict=True):
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row_read)
        assert [unguard_cell(cell) for cell in row_read] == row_written


def test_a_guarded_cell_is_quoted_and_a_plain_one_is_written_as_csv_would():
    assert _written(["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "Ana", "a,b"]) == (
        '"\'=1+2","\'+1","\'-1","\'@SUM(A1)","\'\tx","\'\rx",Ana,"a,b"\n'
    )
    plain = io.StringIO()
    csv.writer(plain, lineterminator="\n").writerows([["ana@example.com", 'Ana "A"', ""], [""]])
    assert _written(["ana@example.com", 'Ana "A"', ""], [""]) == plain.getvalue()


@given(cells)
def test_unguard_undoes_guard(cell: str):
    assert unguard_cell(guard_cell(cell)) == cell
