"""Importing subscribers (`digest subscribers import`): rows per second, and peak memory from
100,000 rows to 1,000,000 (`python -m tests.benchmarks import -- --million`; BENCH_IMPORT_ROWS sets
the smaller size). Target (issue 16): at least 50,000 rows/s for digest's own CSV.

- floor: the same addresses inserted by sqlite3 alone, one INSERT a row (executemany) into a bare
  table with the list's unique key, in one transaction: what SQLite costs before digest does
  anything (the reference for the ratios);
- own: digest's own CSV (an export of the list) through `import_export`: every address checked,
  names cleaned, a consent record a row, statuses remembered, in chunks;
- mailchimp: a Mailchimp export with a quoted newline in every row and two consent records a row
  (opt-in and confirmation, with their IPs);
- own CSV on PostgreSQL (when tests/install-tools installed it: a server started for the run as the
  tests start it, tests/postgres_server.py, fsync off): the same import into a fresh database, its
  CPU given for digest's process and for the server's process that served it.

Each import runs in a fresh child process on a new database, so its peak resident memory is its
own (os.wait4): rows stream from the file and are written a chunk at a time, so ten times the
rows should take about the same memory. Rows/s are given by the wall clock and by the CPU the
child spent (less what a child importing an empty file spends: Python and digest's imports),
which on a busy shared machine is the steadier figure.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.importers.big import import_in_child, write_mailchimp, write_own
from tests.postgres_server import binaries, postgres_server

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
MILLION = 1_000_000
_FLOOR = """
import csv, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email TEXT, email_key TEXT UNIQUE, name TEXT)")
started = time.perf_counter()
with open(sys.argv[2], encoding="utf-8", newline="") as handle:
    rows = csv.reader(handle)
    next(rows)
    db.execute("BEGIN")
    db.executemany("INSERT INTO subscribers (email, email_key, name) VALUES (?, ?, ?)",
                   ((r[0], r[0].lower(), r[1]) for r in rows))
    db.execute("COMMIT")
print(time.perf_counter() - started)
"""


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_measured(
    db: Path | str, export: Path, tool: str, startup: float = 0.0
) -> tuple[float, float, int, float]:
    """(wall seconds, CPU seconds beyond `startup`, peak KiB, the PostgreSQL server's CPU seconds)
    of an import in a child process."""
    before = cpu_of_children()
    seconds, peak_kib, printed = import_in_child(db, export, tool)
    server = float(printed.split()[3]) if isinstance(db, str) else 0.0
    return seconds, cpu_of_children() - before - startup, peak_kib, server


def floor_in_child(db: Path, export: Path) -> tuple[float, int]:
    child = subprocess.Popen(
        [sys.executable, "-c", _FLOOR, str(db), str(export)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    printed = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, printed
    return float(printed), usage.ru_maxrss


def measure(work: Path, rows: int) -> None:
    own = write_own(work / f"own{rows}.csv", rows)
    mailchimp = write_mailchimp(work / f"mailchimp{rows}.csv", rows)
    empty = write_own(work / "empty.csv", 0)
    _, startup, _, _ = import_measured(work / "empty.db", empty, "csv")
    floor, floor_kib = floor_in_child(work / f"floor{rows}.db", own)
    seconds, own_cpu, own_kib, _ = import_measured(work / f"own{rows}.db", own, "csv", startup)
    chimp, chimp_cpu, chimp_kib, _ = import_measured(
        work / f"mailchimp{rows}.db", mailchimp, "mailchimp", startup
    )
    database = (work / f"own{rows}.db").stat().st_size / 1e6
    print(
        f"{rows:,} rows (the Mailchimp CSV {mailchimp.stat().st_size / 1e6:.0f} MB, a quoted newline a row)"
    )
    print(
        f"  floor (sqlite3 executemany, bare table): {rows / floor:,.0f} rows/s, "
        f"peak {floor_kib / 1024:.0f} MiB"
    )
    print(
        f"  own CSV: {rows / seconds:,.0f} rows/s ({rows / own_cpu:,.0f} by CPU), {seconds:.1f} s, "
        f"{seconds / floor:.2f}x the floor, peak {own_kib / 1024:.0f} MiB, database {database:.0f} MB "
        "(target ≥ 50,000 rows/s)"
    )
    print(
        f"  mailchimp (+ 2 consent records a row): {rows / chimp:,.0f} rows/s "
        f"({rows / chimp_cpu:,.0f} by CPU), {chimp:.1f} s, "
        f"{chimp / floor:.2f}x the floor, {chimp / seconds:.2f}x own, peak {chimp_kib / 1024:.0f} MiB"
    )
    if binaries() is not None:
        on_postgresql(own, empty, rows)
    for path in (own, mailchimp, *work.glob(f"*{rows}.db*")):
        path.unlink()


def on_postgresql(own: Path, empty: Path, rows: int) -> None:
    with postgres_server() as server:
        _, startup, _, _ = import_measured(server.new_database(), empty, "csv")
        seconds, cpu, kib, served = import_measured(server.new_database(), own, "csv", startup)
    print(
        f"  own CSV on PostgreSQL: {rows / seconds:,.0f} rows/s ({rows / cpu:,.0f} by digest's CPU, "
        f"{rows / served:,.0f} by the server's), {seconds:.1f} s, peak {kib / 1024:.0f} MiB "
        "(target ≥ 50,000 rows/s)"
    )


def main() -> None:
    sizes = [ROWS, MILLION] if "--million" in sys.argv else [ROWS]
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            measure(Path(folder), rows)
    if len(sizes) == 1:
        print("(the million: python -m tests.benchmarks import -- --million)")


if __name__ == "__main__":
    main()
