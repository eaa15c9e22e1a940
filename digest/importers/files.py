"""The files an export comes as: one CSV, or a zip of CSVs (Mailchimp's audience export, Substack's
data export), each read as a stream so memory stays flat however long the list.

Real exports are UTF-8, with or without a byte order mark (Excel adds one; Mailchimp and
Ghost do not); a file saved again by Excel as "Unicode text" is UTF-16 with a BOM and tab-separated.
Both are read. The delimiter is the one the header line uses most: comma, semicolon (a
spreadsheet in a comma-decimal locale) or tab.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, TextIO

from digest.spreadsheet import unguard_cell
from digest.store import SubscriberError, unreadable

DELIMITERS = (",", ";", "\t")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class Records(Protocol):
    """A csv reader: rows of cells, and the line the last one ended on."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One CSV of an export, its header line read."""

    path: Path
    member: str
    """Its name inside the zip at `path`; "" when `path` is the CSV itself."""
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    """The column names as written (a spreadsheet's guard quote taken off, spaces stripped)."""

    @property
    def name(self) -> str:
        return self.member or self.path.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names lower-cased: how formats and rows look them up."""
        return tuple(c.lower() for c in self.header)

    @contextmanager
    def text(self) -> Iterator[TextIO]:
        with _binary(self.path, self.member) as raw:
            yield io.TextIOWrapper(raw, encoding=self.encoding, newline="")

    @contextmanager
    def records(self) -> Iterator[Records]:
        """A csv reader positioned after the header line (its line_num counts from the file's start)."""
        with self.text() as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            next(reader, None)
            yield reader


@contextmanager
def _binary(path: Path, member: str) -> Iterator[IO[bytes]]:
    if not member:
        with path.open("rb") as handle:
            yield handle
        return
    with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
        yield handle


def export_files(path: Path) -> list[ExportFile]:
    """The CSVs of the export at `path` (a zip's every .csv, folders and macOS metadata aside),
    header lines read. SubscriberError for a file that cannot be read as one."""
    if path.is_dir():
        raise SubscriberError("this is a folder, not a CSV or zip file", where=path)
    if not path.exists():
        raise SubscriberError("file not found", where=path)
    if not zipfile.is_zipfile(path):
        return [_export_file(path, "")]
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info.filename
                for info in archive.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(".csv")
                and not info.filename.startswith("__MACOSX/")
            ]
    except zipfile.BadZipFile as e:
        raise SubscriberError(f"not a readable zip file: {e}", where=path) from None
    if not members:
        raise SubscriberError("the zip file holds no .csv file", where=path)
    return [_export_file(path, member) for member in sorted(members)]


def _export_file(path: Path, member: str) -> ExportFile:
    where = f"{path}: {member}" if member else str(path)
    with _binary(path, member) as raw:
        start = raw.read(4)
    encoding = "utf-16" if start.startswith(_UTF16_BOMS) else "utf-8-sig"
    try:
        with _binary(path, member) as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            first_line = text.readline()
            delimiter = max(DELIMITERS, key=first_line.count)
            header = next(csv.reader(_chain(first_line, text), delimiter=delimiter), None)
    except (UnicodeDecodeError, csv.Error) as e:
        raise unreadable(e, where) from None
    if not header or not any(cell.strip() for cell in header):
        raise SubscriberError("the file is empty (expected a header line naming its columns)", where=where)
    names = tuple(unguard_cell(cell).strip() for cell in header)
    lowered = [n.lower() for n in names]
    repeated = sorted({n for n in lowered if n and lowered.count(n) > 1})
    if repeated:
        # Which one holds the address (or the name) is a guess either way: ask instead.
        raise SubscriberError(
            f"line 1: the header line names {', '.join(map(repr, repeated))} more than once: {list(names)!r}",
            where=where,
        )
    return ExportFile(path, member, encoding, delimiter, names)


def _chain(first_line: str, rest: TextIO) -> Iterator[str]:
    """The header line again, then the rest: a quoted header cell may run over several lines."""
    yield first_line
    yield from rest
