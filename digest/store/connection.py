"""The SQLite connection: one per process, WAL, a versioned schema grown by migrations.

Features own their tables through migrations appended to ``MIGRATIONS`` (never edit one that
has shipped: add the next). Queries live with the features (digest/store/subscribers.py,
digest/store/run_history.py, digest/deliver/ledger.py); this module only opens, migrates and
guards the connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from digest.store import errors
from digest.store.errors import StoreError, StoreMissing


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "subscribers and the send log",
        """
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an id is never reused
            email TEXT NOT NULL,                   -- as the subscriber wrote it (domain normalised)
            email_key TEXT NOT NULL UNIQUE,        -- lower-cased: duplicates differ only in case
            name TEXT NOT NULL DEFAULT '',
            attributes TEXT NOT NULL DEFAULT '{}', -- JSON object of the import's extra columns
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'unsubscribed', 'bounced')),
            status_reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            status_changed_at TEXT NOT NULL
        );
        CREATE INDEX subscribers_status ON subscribers (status, id);

        -- One row per (issue, subscriber) once a message reached the point of no return.
        -- in_flight: the message's last byte went out, the server's reply is not recorded yet;
        -- a row still in_flight after its process died is uncertain.
        CREATE TABLE send_log (
            issue_id TEXT NOT NULL,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('in_flight', 'sent', 'failed', 'uncertain')),
            reply TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (issue_id, subscriber_id)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        2,
        "unattended runs: issue history, stories sent, run locks (queries in digest/runlog.py)",
        """
        -- Where each week's issue stands. Times are ISO 8601 in UTC.
        CREATE TABLE issue_runs (
            issue_id TEXT PRIMARY KEY,             -- e.g. 2025-W11
            state TEXT NOT NULL CHECK (state IN
                ('built', 'thin', 'awaiting_approval', 'rejected', 'sending', 'sent')),
            detail TEXT NOT NULL DEFAULT '',       -- the last run's one-line reason
            updated_at TEXT NOT NULL,
            editors_told_at TEXT,                  -- a thin week: when the editors were emailed (once)
            proof_sent_at TEXT,
            deadline TEXT,                         -- awaiting approval: goes out then unless rejected
            decided_by TEXT NOT NULL DEFAULT '',   -- who approved or rejected it
            decided_at TEXT,
            sent_at TEXT
        ) WITHOUT ROWID;

        -- The stories each issue went out with, by canonical URL ("never twice").
        CREATE TABLE issue_stories (
            issue_id TEXT NOT NULL,
            canonical_url TEXT NOT NULL,
            PRIMARY KEY (issue_id, canonical_url)
        ) WITHOUT ROWID;

        -- Who is building or sending an issue right now; the row is the lock.
        CREATE TABLE run_locks (
            issue_id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            boot_id TEXT NOT NULL DEFAULT '',      -- tells a pid from before a reboot from a live one
            since TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        3,
        "stop notices: which stopped runs the editors were told about (queries in run_history.py)",
        """
        -- A row per issue and kind of stop the editors were emailed about, so that the next
        -- tick of a timer that stops the same way does not email them again.
        CREATE TABLE stop_notices (
            issue_id TEXT NOT NULL,                -- e.g. 2025-W11
            kind TEXT NOT NULL,                    -- in words: lint errors, the mail server, …
            told_at TEXT NOT NULL,
            PRIMARY KEY (issue_id, kind)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        4,
        "approval: the content hash of the proof the editors were sent",
        """
        -- sha256 of the proofed issue's canonical data (digest.runs.archive.issue_hash): an
        -- approval names the proof it approves, and a stale one (a newer proof went out) is refused.
        ALTER TABLE issue_runs ADD COLUMN proof_hash TEXT NOT NULL DEFAULT '';
        """,
    ),
    Migration(
        5,
        "the first name the greeting uses (the subscriber CSV's first_name column)",
        """
        -- Empty: the greeting takes the first word of name (digest.words.greeting_name).
        ALTER TABLE subscribers ADD COLUMN first_name TEXT NOT NULL DEFAULT '';

        -- Imports before this version kept a first_name column as an attribute: it is the column now.
        UPDATE subscribers SET first_name = json_extract(attributes, '$.first_name'),
            attributes = json_remove(attributes, '$.first_name')
        WHERE json_type(attributes, '$.first_name') = 'text';
        """,
    ),
    Migration(
        6,
        "the suppression list: why each address may not be sent to, its evidence and history",
        """
        -- subscribers.status stays the one flag the send reads (only 'active' is sent to). A
        -- suppressions row says why a subscriber is not: its reason (digest.store.suppression.Reason)
        -- and evidence (status_line: the SMTP/DSN status and diagnostic, or a note; the message id
        -- of the bounce or complaint; the issue it answered, when known; at: when, UTC to the
        -- millisecond). suppression_events is the history: each suppression (kind: its reason),
        -- each soft bounce, each re-subscribe. All written, with the status, in one transaction by
        -- digest/store/suppression.py only (subscribers.status_reason is no longer written).
        -- Terse on purpose: SQLite keeps the CREATE statements as written, and the schema must
        -- stay within the file's first page (tests/store/test_store_failures.py damages the rest).
        CREATE TABLE suppressions (
            subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers ON DELETE CASCADE,
            reason TEXT NOT NULL, status_line TEXT, message_id TEXT, issue_id TEXT, at TEXT
        );
        CREATE TABLE suppression_events (
            id INTEGER PRIMARY KEY, subscriber_id INTEGER REFERENCES subscribers ON DELETE CASCADE,
            kind TEXT, status_line TEXT, message_id TEXT, issue_id TEXT, at TEXT
        );
        CREATE INDEX suppression_events_by ON suppression_events (subscriber_id, kind, at);

        -- Subscribers not active before this version: suppressed, for the reason their status says.
        INSERT INTO suppressions (subscriber_id, reason, status_line, message_id, at)
        SELECT id, CASE status WHEN 'bounced' THEN 'hard-bounce' ELSE 'unsubscribe' END, status_reason, '',
            COALESCE(strftime('%Y-%m-%dT%H:%M:%f+00:00', status_changed_at), status_changed_at)
        FROM subscribers WHERE status != 'active';
        INSERT INTO suppression_events (subscriber_id, kind, status_line, message_id, at)
        SELECT subscriber_id, reason, status_line, message_id, at FROM suppressions ORDER BY subscriber_id;
        """,
    ),
    Migration(
        7,
        "feedback messages processed (queries in feedback_log.py)",
        """
        -- One row per message read from a feedback mailbox (bounce, complaint, unsubscribe, reply),
        -- by its Message-ID (or the hash of its bytes): a message is never processed twice,
        -- whatever the mailbox does with its flags.
        CREATE TABLE feedback_messages (
            message_key TEXT PRIMARY KEY,          -- <id@host>, or sha256:<hex>
            source TEXT NOT NULL,                  -- imap://user@host/INBOX, a Maildir or mbox path
            kind TEXT NOT NULL,                    -- what it was: hard, soft, complaint, …
            processed_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        8,
        "consent records: who asked to be on the list, how, when, seeing which words (consent.py)",
        """
        -- kind: given, confirmed, withdrawn, renewed (digest.store.consent.ConsentKind); method:
        -- form, import, cli, api, preferences; source: the import's file and tool, the form's page;
        -- text_hash: sha256 of the consent sentence shown; ip only where [signup] record_ip is on.
        CREATE TABLE consent_events (
            id INTEGER PRIMARY KEY, subscriber_id INTEGER REFERENCES subscribers ON DELETE CASCADE,
            kind TEXT NOT NULL, method TEXT NOT NULL, source TEXT, text_hash TEXT, ip TEXT, at TEXT NOT NULL
        );
        CREATE INDEX consent_events_by ON consent_events (subscriber_id, at);
        """,
    ),
    Migration(
        9,
        "sign-ups waiting for their double opt-in, and the outbox of their emails (signups.py)",
        """
        -- Not subscribers yet: the consent they gave (source, text_hash, ip) waits here for the
        -- confirmation; sent_at: when a confirmation last went out (one an hour at most).
        CREATE TABLE pending_signups (
            id INTEGER PRIMARY KEY, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE,
            name TEXT, source TEXT, text_hash TEXT, ip TEXT, asked_at TEXT NOT NULL, sent_at TEXT
        );
        -- Emails the sign-up queued (kind: confirm, welcome), sent by `digest serve`'s sender.
        CREATE TABLE signup_outbox (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, email TEXT NOT NULL,
            pending_id INTEGER, attempts INTEGER NOT NULL DEFAULT 0, due_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        10,
        "the preference page's pause, and the salted hashes of erased addresses (personal_data.py)",
        """
        -- paused_until: no issue goes to them before this time (UTC, ms, as the send log writes it).
        ALTER TABLE subscribers ADD COLUMN paused_until TEXT;
        -- An erased (GDPR art. 17) address: sha256 of the project's erasure salt and its email_key.
        CREATE TABLE erased_addresses (hash TEXT PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID;
        """,
    ),
)


def _check_sequence(migrations: tuple[Migration, ...]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise AssertionError(f"migrations must be numbered 1, 2, 3… in order, got {versions}")


Parameters = Sequence[Any] | Mapping[str, Any]
"""A statement's values: by position (?) or by name (:name)."""


class Store:
    """The process's one connection. Threads share it; `lock` serialises every use."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.lock = threading.RLock()

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; what the machine does to the file (a full disk, a lock
        held too long, damaged pages, a read-only folder) leaves as a StoreError naming the file."""
        with self.lock:
            try:
                yield self.connection
            except sqlite3.Error as error:
                translated = errors.translate(error, self.path)
                if translated is None:
                    raise
                raise translated from error

    def execute(self, sql: str, parameters: Parameters = ()) -> sqlite3.Cursor:
        """One statement, committed on its own (autocommit), under the lock."""
        with self._using() as connection:
            return connection.execute(sql, parameters)

    def fetchall(self, sql: str, parameters: Parameters = ()) -> list[sqlite3.Row]:
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchall()

    def fetchone(self, sql: str, parameters: Parameters = ()) -> sqlite3.Row | None:
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchone()

    def fetchvalue(self, sql: str, parameters: Parameters = ()) -> Any:
        """The first value of the row a query always returns (a COUNT, a PRAGMA)."""
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together or not at all. BEGIN IMMEDIATE takes the write lock
        up front, so a second process waits (busy_timeout) instead of failing half-way."""
        with self._using() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                _roll_back(connection, error)
                raise

    @property
    def schema_version(self) -> int:
        return self.fetchvalue("PRAGMA user_version")

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def _roll_back(connection: sqlite3.Connection, error: BaseException) -> None:
    """Undo the open transaction, keeping `error` the one reported. After some errors (a full
    disk, an I/O error) SQLite has rolled back already, and a ROLLBACK then fails with "no
    transaction is active", which used to hide the real error."""
    if not connection.in_transaction:
        return
    try:
        connection.execute("ROLLBACK")
    except sqlite3.Error as failed:
        error.add_note(f"and the rollback failed too: {failed}")


def open_store(path: Path, *, create: bool = True, migrations: tuple[Migration, ...] = MIGRATIONS) -> Store:
    """Open and migrate the database at `path`, creating the file if it is missing and `create`
    is true. Never creates folders: a [store] path in a folder that does not exist is a mistake
    to report, not a new empty subscriber list to start. Read-only commands pass create=False."""
    _check_sequence(migrations)
    path = Path(path)
    if not path.parent.is_dir():
        raise errors.folder_missing(path)
    if not create and not path.exists():
        raise StoreMissing(
            "no database here yet; `digest subscribers add` or `import` creates it "
            "(or correct [store] path, or --db)",
            where=path,
        )
    # mode=rwc creates the file, mode=rw does not (no window between a check and the open).
    uri = f"file:{pathname2url(str(path.absolute()))}?mode={'rwc' if create else 'rw'}"
    try:
        # isolation_level=None: autocommit; multi-statement work uses Store.transaction().
        connection = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=errors.BUSY_TIMEOUT
        )
    except sqlite3.Error as e:
        raise errors.cannot_open(path, f"({e})") from e
    connection.row_factory = sqlite3.Row
    store = Store(connection, path)
    try:
        with store._using():
            _configure(connection)
        _migrate(store, migrations)
    except StoreError:
        connection.close()
        raise
    except sqlite3.DatabaseError as e:  # a migration that does not apply: this is not our database
        connection.close()
        raise StoreError(f"not a usable digest database: {e}", where=path) from e
    return store


def _configure(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA journal_mode = WAL")
    # In WAL, NORMAL survives any crash of this process (kill -9 included); only a power cut
    # can lose the last commits. Full fsync per commit would cost more than the SMTP send.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute(f"PRAGMA busy_timeout = {round(errors.BUSY_TIMEOUT * 1000):d}")


def _migrate(store: Store, migrations: tuple[Migration, ...]) -> None:
    current = store.schema_version
    if current > len(migrations):
        raise StoreError(
            f"the database has schema version {current}, newer than this digest knows "
            f"({len(migrations)}); upgrade digest",
            where=store.path,
        )
    for migration in migrations[current:]:
        # executescript would COMMIT first; run the statements inside our own transaction so a
        # migration applies whole or not at all, together with its version number.
        with store.transaction() as connection:
            for statement in _statements(migration.sql):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {migration.version:d}")


def _statements(script: str) -> Iterator[str]:
    """Split a script at the semicolons that end statements (not those in strings or comments)."""
    buffer = ""
    for chunk in script.split(";"):
        buffer += chunk + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                yield buffer
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        yield buffer
