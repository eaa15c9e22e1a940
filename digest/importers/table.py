"""What every format shares: a format's description, and its rows read one at a time.

A format (one module per tool) says which header lines are its own (`identifies`), in words
what it expected (`expected`, for the error when a file is none of them), and how one row
becomes an `ImportedRow` (`converter`, given the file's columns and name: they say whether a
Mailchimp file holds the subscribed, the unsubscribed or the cleaned). A converter raises
ValueError for a row it cannot use; the row is reported by line and skipped, as a bad address is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from digest.importers.files import ExportFile
from digest.spreadsheet import unguard_cells
from digest.store import ImportedRow, RowProblem, clean_name, parse_address

Cells = Mapping[str, str]
"""One row: lower-cased column name → cell (guard quote off, not yet stripped)."""
Converter = Callable[[Cells], ImportedRow]
"""Makes a row's ImportedRow; its email is the cell as written, checked afterwards."""


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    expected: str
    """The header that identifies it, in words: "Email Address, OPTIN_TIME, CONFIRM_TIME, …"."""
    identifies: Callable[[frozenset[str]], bool]
    """True for a file whose lower-cased column names are this tool's."""
    converter: Callable[[Sequence[str], str], Converter]


class ToolRows:
    """The rows of one tool's export files (a Mailchimp zip's three CSVs in turn): a RowSource
    for digest.store.import_rows. Bad rows are collected as problems, each with its line."""

    def __init__(self, files: Sequence[ExportFile], tool: Format) -> None:
        self.files = files
        self.tool = tool
        self.problems: list[RowProblem] = []
        self.rows_read = 0

    def __iter__(self) -> Iterator[ImportedRow]:
        for file in self.files:
            member = file.name if len(self.files) > 1 or file.member else ""
            columns = file.columns
            convert = self.tool.converter(columns, file.name)
            with file.records() as reader:
                line = reader.line_num + 1
                for record in reader:
                    start, line = line, reader.line_num + 1
                    if not "".join(record).strip():
                        continue  # blank lines are not rows
                    self.rows_read += 1
                    try:
                        yield self._row(record, columns, convert, start, member)
                    except ValueError as e:
                        self.problems.append(RowProblem(start, str(e), member))

    @staticmethod
    def _row(
        record: list[str], columns: Sequence[str], convert: Converter, line: int, member: str
    ) -> ImportedRow:
        if len(record) > len(columns):
            raise ValueError(f"{len(record)} fields, the header has {len(columns)}")
        cells = dict(zip(columns, unguard_cells(record), strict=False))
        row = convert(cells)
        row.email, row.line, row.member = parse_address(row.email), line, member
        return row


def cell(cells: Cells, column: str) -> str:
    """A cell as one clean line ("" when the column is missing)."""
    return clean_name(cells.get(column, ""))


def extras(cells: Cells, used: frozenset[str]) -> dict[str, str]:
    """The non-empty cells of the columns a format does not read itself: the subscriber's attributes."""
    return {
        column: clean_name(value) for column, value in cells.items() if column not in used and value.strip()
    }


def basic_row(cells: Cells, read: frozenset[str]) -> ImportedRow:
    """The row most tools' exports make: email, name, created_at (when they signed up: the
    consent record's time), and every column the format does not read itself as attributes."""
    return ImportedRow(
        line=0,
        email=cells.get("email", ""),
        name=cell(cells, "name"),
        attributes=extras(cells, read),
        given_at=parse_time(cells.get("created_at", "")),
    )


def is_true(text: str) -> bool:
    return text.strip().lower() in ("true", "yes", "1")


# Go's time.Time.String(), which listmonk's export writes: 2024-03-01 10:22:33.123456789 +0000 UTC
_GO_TIME = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))? (?P<zone>[+-]\d{4})\b"
)


def parse_time(text: str) -> dt.datetime | None:
    """A tool's time as an aware datetime: ISO 8601 ("2024-01-15T10:00:00.000Z"), Mailchimp's
    "2018-02-12 10:54:27" (UTC, as its exports are) or Go's; None when empty or unreadable (a
    wrong time in the consent record is worse than none).

    >>> parse_time("2018-02-12 10:54:27").isoformat()
    '2018-02-12T10:54:27+00:00'
    >>> parse_time("2024-03-01 10:22:33.123456789 +0530 IST").isoformat()
    '2024-03-01T10:22:33.123456+05:30'
    >>> parse_time("next Tuesday") is None
    True
    """
    text = text.strip()
    if match := _GO_TIME.match(text):
        fraction = f".{match['fraction'][:6]}" if match["fraction"] else ""
        zone = match["zone"]
        text = f"{match['date']}T{match['time']}{fraction}{zone[:3]}:{zone[3:]}"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
