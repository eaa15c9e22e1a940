"""The import's shortcuts for the common row (issue 16: ≥ 50,000 rows/s) give what the long way
gave, held by property: the CSV reader (a cell without the spreadsheet guard is not unguarded, a
file without status columns skips reading them, a blank line told by one join) against the
reader as it was written first; the same shortcuts of the other tools' reader
(digest/importers/table.py) one by one; the attributes' JSON against json.dumps.
(fold_whitespace's printable-ASCII shortcut is held in tests/test_markup.py.)"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from digest.spreadsheet import unguard_cell, unguard_cells
from digest.store.addresses import clean_name, parse_address
from digest.store.imports import ImportedRow, RowProblem
from digest.store.many_rows import json_object
from digest.store.subscribers import _aware_time, _CsvRows
from digest.store.suppression import imported_reason

COLUMNS = (
    "email",
    "name",
    "first_name",
    "status",
    "status_changed_at",
    "suppression_reason",
    "suppression_evidence",
    "city",
)
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "ana@example.com",
            " Bo.Chen@Example.ORG ",
            "'=bo@example.org",
            "añá@example.com",
            "not an address",
            "info@example.com",
            "Ana  Lima",
            "'=SUM(A1)",
            "''@x",
            "'tis",
            "unsubscribed",
            "cleaned",
            "active",
            "hard-bounce",
            "no-such-reason",
            "2024-05-06T07:08:09+00:00",
            "2024-05-06",
        ]
    ),
    st.text(st.sampled_from("ab @.'=\t\n\r\x00\x7f\u200b\u00a0é"), max_size=12),
)


def the_first_way(rows: _CsvRows) -> Iterator[ImportedRow]:
    """`_CsvRows.__iter__` as it was before its shortcuts: every cell unguarded, every column read."""
    line = rows.reader.line_num + 1
    for record in rows.reader:
        start, line = line, rows.reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        rows.rows_read += 1
        if len(record) > rows.width:
            rows.problems.append(RowProblem(start, f"{len(record)} fields, the header has {rows.width}"))
            continue
        record = [unguard_cell(cell) for cell in record] + [""] * (rows.width - len(record))
        try:
            email = parse_address(record[rows.email_at])
        except ValueError as e:
            rows.problems.append(RowProblem(start, str(e)))
            continue
        status = {c: record[i] for c, i in rows.status_at.items()}
        try:
            suppression = imported_reason(status.get("status", ""), status.get("suppression_reason", ""))
        except ValueError as e:
            rows.problems.append(RowProblem(start, str(e)))
            continue
        name = clean_name(record[rows.name_at]) if rows.name_at is not None else ""
        first = clean_name(record[rows.first_name_at]) if rows.first_name_at is not None else ""
        attributes = {c: clean_name(record[i]) for i, c in rows.extras if record[i].strip()}
        evidence = clean_name(status.get("suppression_evidence", ""))
        since = _aware_time(status.get("status_changed_at", ""))
        yield ImportedRow(start, email, name, first, attributes, suppression, evidence, since)


def read(text: str, reader: object) -> tuple[list[ImportedRow], list[RowProblem], int]:
    rows = _CsvRows(io.StringIO(text, newline=""), Path("list.csv"))
    read_rows = list(reader(rows)) if callable(reader) else list(rows)
    return read_rows, rows.problems, rows.rows_read


@given(
    st.lists(st.sampled_from(COLUMNS[1:]), unique=True),
    st.lists(st.lists(CELLS, max_size=len(COLUMNS) + 1), max_size=8),
)
def test_the_reader_reads_what_it_read_before_its_shortcuts(columns: list[str], records: list[list[str]]):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["email", *columns])
    writer.writerows(records)
    assert read(out.getvalue(), None) == read(out.getvalue(), the_first_way)


@given(st.dictionaries(st.text(), st.text()))
def test_attributes_are_written_as_json_dumps_writes_them(attributes: dict[str, str]):
    assert json_object(attributes) == json.dumps(attributes)
    assert json.loads(json_object(attributes)) == attributes


@given(st.lists(CELLS))
def test_a_row_is_unguarded_and_told_blank_as_before(cells: list[str]):
    assert unguard_cells(cells) == [unguard_cell(cell) for cell in cells]
    assert (not "".join(cells).strip()) == (not any(cell.strip() for cell in cells))
