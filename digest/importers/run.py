"""`digest subscribers import FILE [--from TOOL] [--dry-run]`: another tool's export into the list.

The file (a CSV, or a zip of them) is read, its tool told from its header line or checked
against `--from`, and its rows written through the store (digest.store.import_rows): one
transaction, statuses kept, nothing re-activated, the consent records written with the source
"import: TOOL FILE_NAME". digest's own CSV is read by the store itself (import_csv).
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path

from digest.importers.detect import OWN, choose, format_named
from digest.importers.files import export_files
from digest.importers.table import ToolRows
from digest.store import ImportReport, Store, import_csv, import_rows, unreadable


@dataclass(frozen=True, slots=True)
class ImportResult:
    tool: str
    report: ImportReport
    skipped_files: tuple[str, ...] = ()
    """Files of a zip that are no list of subscribers (posts.csv, Mailchimp's non-subscribed)."""


def import_export(
    store: Store, path: Path, tool: str | None = None, *, dry_run: bool = False, salt: bytes | None = None
) -> ImportResult:
    """Import the export at `path` from `tool` (None: told from the header line); `salt`
    recognises erased addresses (digest.store.ErasureGate), which are left out."""
    files = export_files(path)
    chosen, taken, skipped = choose(files, tool)
    source = f"import: {chosen} {path.name}"
    if chosen == OWN:
        report = import_csv(store, path, source=source, dry_run=dry_run, salt=salt)
        return ImportResult(chosen, report)
    try:
        rows = ToolRows(taken, format_named(chosen))
        report = import_rows(store, rows, file_name=path.name, source=source, dry_run=dry_run, salt=salt)
    except (UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as e:
        raise unreadable(e, path) from None
    return ImportResult(chosen, report, tuple(f.name for f in skipped))
