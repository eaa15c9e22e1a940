"""An import writes its rows a chunk at a time (digest/store/imports.py, issue 16: ≥ 50,000 rows/s):
a handful of statements a chunk rather than several a row, and the list it leaves is the same
whatever the chunk size (duplicates across chunks merged, statuses kept, consent once)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import digest.store.imports as imports
from digest.importers import import_export
from digest.store import open_store
from tests.importers.big import write_mailchimp
from tests.importers.test_cli_imports import GHOST, LISTMONK, digest, mailchimp_zip

OWN = """email,name,city
ana@example.com,Ana,Lisbon
BO@example.org,,Porto
ana@example.com,,Braga
cy@example.net,Cy,
bo@example.org,Bo Chen,
dee@example.com,Dee,Faro
ana@EXAMPLE.com,Ana Lima,
"""


def snapshot(db: Path) -> list[list[tuple]]:
    """Every table an import writes, row by row in the order written, but for the columns holding "now"
    (a time the file does not give is the import's own, a second apart in the two runs)."""
    tables = []
    with closing(sqlite3.connect(db)) as connection:
        for table in ("subscribers", "consent_events", "suppressions"):
            cursor = connection.execute(f"SELECT * FROM {table} ORDER BY rowid")
            timeless = [i for i, column in enumerate(cursor.description) if not column[0].endswith("at")]
            tables.append([tuple(row[i] for i in timeless) for row in cursor])
    return tables


def import_everything(db: Path, folder: Path) -> list[str]:
    """digest's own CSV (twice, with a Mailchimp zip between) and Ghost and listmonk exports."""
    own = folder / "own.csv"
    own.write_text(OWN, encoding="utf-8")
    assert digest(db, "add", "dee@example.com").exit_code == 0
    assert digest(db, "remove", "dee@example.com").exit_code == 0  # unsubscribed: stays so
    printed = []
    for export in (own, mailchimp_zip(folder), GHOST, LISTMONK, own):
        result = digest(db, "import", export)
        assert result.exit_code == 0, result.output
        printed.append(result.stdout)
    return printed


def test_the_list_is_the_same_whatever_the_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    in_one = import_everything(tmp_path / "a" / "digest.db", tmp_path / "a")
    monkeypatch.setattr(imports, "CHUNK", 2)
    in_twos = import_everything(tmp_path / "b" / "digest.db", tmp_path / "b")
    assert in_twos == in_one
    assert "7 row(s): 3 added, 1 updated, 3 duplicate(s) merged" in in_one[0]
    assert snapshot(tmp_path / "b" / "digest.db") == snapshot(tmp_path / "a" / "digest.db")


def test_a_chunk_of_rows_is_a_handful_of_statements(tmp_path: Path) -> None:
    """Today's importer ran four or more statements a row; a chunk writes in a few."""
    export = write_mailchimp(tmp_path / "members.csv", 2_000)
    statements: list[str] = []
    with closing(open_store(tmp_path / "digest.db")) as store:
        store.connection.set_trace_callback(statements.append)
        report = import_export(store, export, "mailchimp").report
    assert report.added == 2_000 and report.consent_records == 4_000
    assert len(statements) <= 100, len(statements)  # (today 4 chunks, ~10 statements each; it was ~14,000)
