"""PostgreSQL as the store, against a real server (tests/postgres_server.py): one line for what keeps
it from being reached, `digest store migrate`, and `digest store copy --to` with nothing lost."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.store import MIGRATIONS, StoreError, StoreMissing, add_subscriber, open_store
from digest.store.copy import compare_copy, copy_store
from tests.postgres_server import PASSWORD


def _cli(*args: str | Path, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def _one_line(result, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_what_keeps_postgresql_away_is_one_line_naming_the_url_without_its_password(
    postgres, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    unreachable = "postgresql://digest@127.0.0.1:1/digest"
    line = _one_line(_cli("subscribers", "--config", _config(tmp_path, unreachable), "count"), 2)
    assert line == f"error: {unreachable}: cannot connect to PostgreSQL: Connection refused"

    with pytest.raises(StoreMissing, match=r'database "nowhere" does not exist; create it'):
        open_store(postgres.url("nowhere"))

    database = postgres.new_database().split("?")[0].rsplit("/", 1)[1]
    monkeypatch.setenv("DIGEST_DB_PASSWORD", "not the password")
    with pytest.raises(StoreError) as refused:
        open_store(postgres.tcp_url(database))
    assert str(refused.value).startswith(f"{postgres.tcp_url(database)}: password authentication failed")
    assert "DIGEST_DB_PASSWORD" in str(refused.value) and "not the password" not in str(refused.value)
    monkeypatch.setenv("DIGEST_DB_PASSWORD", PASSWORD)
    open_store(postgres.tcp_url(database)).close()  # the password from the environment, never the TOML


def test_a_password_in_the_toml_is_refused(tmp_path):
    config = _config(tmp_path, "postgresql://digest:secret@db.example/digest")
    result = _cli("subscribers", "--config", config, "count")
    assert result.exit_code == 2 and "must not hold a password" in result.stderr
    assert "secret" not in result.stderr.replace("secret_file", "")


def _config(folder: Path, url: str) -> Path:
    config = folder / "digest.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return config


def test_migrate_brings_an_empty_database_up_to_date_once(postgres, tmp_path):
    config = _config(tmp_path, postgres.empty_database())
    first = _cli("store", "--config", config, "migrate")
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().endswith(f"schema version 0 → {len(MIGRATIONS)}")
    again = _cli("store", "--config", config, "migrate")
    assert again.stdout.strip().endswith(f"schema version {len(MIGRATIONS)}, up to date")


def test_two_processes_migrating_at_once_apply_each_migration_once(postgres):
    url, failures = postgres.empty_database(), []

    def migrate() -> None:
        try:
            open_store(url).close()
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=migrate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    store = open_store(url)
    assert store.schema_version == len(MIGRATIONS)
    store.close()


def _sqlite_project(tmp_path: Path) -> Path:
    """A SQLite store with rows in the tables a real project fills: subscribers, suppressions and
    their events, consent records, a send log, the run history, click counts."""
    db = tmp_path / "digest.db"
    rows = "\n".join(f"reader{n}@example.com,Reader {n}" for n in range(1, 301))
    (tmp_path / "list.csv").write_text(
        f"email,name\n{rows}\nzoe@example.org,Zoë 'Z' 100%\n", encoding="utf-8"
    )
    assert _cli("subscribers", "--db", db, "import", tmp_path / "list.csv").exit_code == 0
    assert (
        _cli("subscribers", "--db", db, "suppress", "reader7@example.com", "--reason", "complaint").exit_code
        == 0
    )
    store = open_store(db)
    store.execute(
        "INSERT INTO send_log (issue_id, subscriber_id, state, reply, updated_at) "
        "SELECT '2025-W01', id, 'sent', '250 ok', '2025-01-01T00:00:00.000+00:00' FROM subscribers"
    )
    store.execute("INSERT INTO issue_runs (issue_id, state, updated_at) VALUES ('2025-W01', 'sent', 'now')")
    store.execute("INSERT INTO link_clicks VALUES ('2025-W01', 'lead', 'https://example.com/a', 3, 1)")
    store.close()
    return db


def test_copy_moves_every_table_and_proves_it_with_counts_and_checksums(postgres, tmp_path):
    db, url = _sqlite_project(tmp_path), postgres.empty_database()
    result = _cli("store", "--db", db, "copy", "--to", url)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert " 301 rows " in lines["subscribers"] and " 301 rows " in lines["send_log"]
    assert " 1 row " in lines["suppressions"] and " 1 row " in lines["link_clicks"]
    assert all(
        "same on both sides" in lines[table] for table in ("subscribers", "consent_events", "audit_log")
    )

    copied, original = open_store(url), open_store(db)
    try:
        for table in ("subscribers", "suppression_events", "consent_events", "send_log", "issue_runs"):
            query = f"SELECT COUNT(*) FROM {table}"
            assert copied.fetchvalue(query) == original.fetchvalue(query), table
        assert (
            copied.fetchvalue("SELECT name FROM subscribers WHERE email = 'zoe@example.org'")
            == "Zoë 'Z' 100%"
        )
        # The identity sequences start past the copied ids: the next subscriber is a new id.
        add_subscriber(copied, "new@example.com", "New")
        assert copied.fetchvalue("SELECT id FROM subscribers WHERE email = 'new@example.com'") == 302
    finally:
        copied.close()
        original.close()

    again = _cli("store", "--db", db, "copy", "--to", url)
    assert _one_line(again, 2).endswith("not empty: table issue_runs has rows; copy only into a new database")


def test_a_copy_that_differs_from_its_source_is_an_error_naming_the_table(postgres, tmp_path):
    db, url = _sqlite_project(tmp_path), postgres.empty_database()
    source, target = open_store(db), open_store(url)
    try:
        copied = copy_store(source, target)
        target.execute("UPDATE subscribers SET name = 'Someone else' WHERE email = 'reader1@example.com'")
        with pytest.raises(
            StoreError, match=r"subscribers: 301 rows \(checksum \w+\) arrived of 301 \(checksum"
        ):
            compare_copy(copied, target)
    finally:
        source.close()
        target.close()


def test_a_lost_connection_is_one_error_and_the_next_use_connects_again(postgres):
    url = postgres.new_database()
    store = open_store(url)
    try:
        add_subscriber(store, "ana@example.com", "Ana")
        database = url.split("?")[0].rsplit("/", 1)[1]
        postgres.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
        with pytest.raises(StoreError, match=r"lost the connection to PostgreSQL: .*; run again"):
            store.fetchvalue("SELECT COUNT(*) FROM subscribers")
        assert store.fetchvalue("SELECT COUNT(*) FROM subscribers") == 1  # a new connection from the pool
    finally:
        store.close()


def test_a_copy_to_something_that_is_not_a_postgresql_url_is_refused_and_creates_nothing(tmp_path):
    db = _sqlite_project(tmp_path)
    result = _cli("store", "--db", db, "copy", "--to", str(tmp_path / "other.db"))
    assert result.exit_code == 2
    assert "must be a PostgreSQL URL" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "other.db").exists()
