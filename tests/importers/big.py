"""Long exports for the memory test and the benchmark: a Mailchimp subscribed CSV (a quoted
newline in every row, as an address merge field has) and the same addresses as digest's own CSV,
and an import run in a child process whose peak memory the parent reads (os.wait4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SUBSCRIBED = (
    Path(__file__).resolve().parent.parent
    / "fixtures/imports/mailchimp/subscribed_members_export_9f3c2a1b7e.csv"
)
_IMPORT = """
import os, sys, time
from pathlib import Path
from digest.importers import import_export
from digest.store import open_store
where = sys.argv[1]
store = open_store(where if where.startswith("postgresql://") else Path(where))
backend = store.fetchvalue("SELECT pg_backend_pid()") if store.dialect == "postgresql" else None

def server_seconds():  # the CPU of PostgreSQL's process serving this connection
    with open(f"/proc/{backend}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

started, server = time.perf_counter(), server_seconds() if backend else 0.0
result = import_export(store, Path(sys.argv[2]), sys.argv[3])
seconds = time.perf_counter() - started
served = [server_seconds() - server] if backend else []
print(seconds, result.report.added, result.report.consent_records, *served)
"""


def write_mailchimp(path: Path, rows: int) -> Path:
    header = SUBSCRIBED.read_text(encoding="utf-8").splitlines()[0]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header + "\n")
        for n in range(rows):
            ip = f"192.0.2.{n % 250}"
            out.write(
                f'reader{n}@example.com,Reader,No {n},"{n} Long Street\nSpringfield",,,2,2022-11-05 19:28:23,'
                f'{ip},2022-11-05 19:30:00,{ip},,,,,,,,2022-11-05 19:28:23,{n},e{n},,"""Editors"""\n'
            )
    return path


def write_own(path: Path, rows: int) -> Path:
    """The same addresses as digest's own CSV: the import that was there before the importers."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email,name,address\n")
        for n in range(rows):
            out.write(f'reader{n}@example.com,Reader No {n},"{n} Long Street\nSpringfield"\n')
    return path


def import_in_child(db: Path | str, export: Path, tool: str) -> tuple[float, int, str]:
    """(seconds the import took, the child's peak resident memory in KiB, what it printed: the
    seconds, rows added, consent records and, on PostgreSQL, the CPU seconds its server process spent).
    `db`: a SQLite file or a PostgreSQL URL."""
    child = subprocess.Popen(
        [sys.executable, "-c", _IMPORT, str(db), str(export), tool],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent.parent,
    )
    assert child.stdout is not None
    printed = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, printed
    return float(printed.split()[0]), usage.ru_maxrss, printed
