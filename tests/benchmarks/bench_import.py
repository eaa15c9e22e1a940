"""Importing a 100,000-row Mailchimp export: rows per second, and peak memory against a tenth of it.

The reference is the import that was there before the importers, run in the same way on the same
addresses: digest's own CSV (`digest subscribers import` of an export of this list), through
digest.store.import_csv. The ratio says what reading Mailchimp's columns and writing two consent
records per row (opt-in and confirmation, with their IPs) cost on top. Each import runs in a
fresh child process on a new database, so its peak resident memory is its own (os.wait4): with
rows streamed from the file, ten times the rows should take about the same memory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.importers.big import import_in_child, write_mailchimp, write_own

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        own = write_own(work / "own.csv", ROWS)
        mailchimp = write_mailchimp(work / "mailchimp.csv", ROWS)
        small = write_mailchimp(work / "small.csv", ROWS // 10)
        reference, reference_kib, _ = import_in_child(work / "own.db", own, "csv")
        seconds, peak_kib, _ = import_in_child(work / "mailchimp.db", mailchimp, "mailchimp")
        _, small_kib, _ = import_in_child(work / "small.db", small, "mailchimp")
        size = mailchimp.stat().st_size / 1e6
    print(f"{ROWS:,} rows; the Mailchimp CSV {size:.1f} MB, every row with a quoted newline")
    print(
        f"reference (digest's own CSV, store.import_csv): {ROWS / reference:,.0f} rows/s, {reference:.1f} s"
    )
    print(
        f"mailchimp (+ 2 consent records a row): {ROWS / seconds:,.0f} rows/s, {seconds:.1f} s, "
        f"{seconds / reference:.2f}x reference"
    )
    print(
        f"peak memory: {peak_kib / 1024:.0f} MiB for {ROWS:,} rows, {small_kib / 1024:.0f} MiB for "
        f"{ROWS // 10:,} (reference {reference_kib / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
