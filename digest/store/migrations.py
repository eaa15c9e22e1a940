"""The schema, as the migrations that grew it, oldest first.

Features own their tables through migrations appended to ``MIGRATIONS`` (never edit one that
has shipped: add the next, numbered one more). Queries live with the features
(digest/store/subscribers.py, run_history.py, consent.py, clicks.py, …, and
digest/deliver/ledger.py); digest/store/connection.py applies these.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        "policy blocks by issue and receiving domain; complaint holds acknowledged (feedback_log.py)",
        """
        -- A policy block (5.7.x, a blocklist) never suppresses anyone: it is kept here for the
        -- per-issue figures and the receiving-domain view. A complaint hold lifted: who, when.
        CREATE TABLE policy_blocks (
            id INTEGER PRIMARY KEY, subscriber_id INTEGER REFERENCES subscribers ON DELETE SET NULL,
            domain TEXT NOT NULL, issue_id TEXT, status_line TEXT, at TEXT NOT NULL
        );
        CREATE TABLE complaint_acks (issue_id TEXT PRIMARY KEY, by TEXT NOT NULL, at TEXT NOT NULL);
        """,
    ),
    Migration(
        11,
        "click counts per issue, slot and link; machine clicks set aside by reason (clicks.py)",
        """
        -- Anonymous by default: counts per link, and for unique clickers an opaque per-message key
        -- (never the subscriber). subscriber_clicks only with [tracking] individual = true, and
        -- erased with the subscriber.
        CREATE TABLE link_clicks (
            issue_id TEXT NOT NULL, slot TEXT NOT NULL, url TEXT NOT NULL,
            human INTEGER NOT NULL DEFAULT 0, machine INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (issue_id, slot, url)
        ) WITHOUT ROWID;
        CREATE TABLE link_clickers (
            issue_id TEXT NOT NULL, slot TEXT NOT NULL, url TEXT NOT NULL, clicker TEXT NOT NULL,
            PRIMARY KEY (issue_id, slot, url, clicker)
        ) WITHOUT ROWID;
        CREATE TABLE machine_clicks (
            issue_id TEXT NOT NULL, reason TEXT NOT NULL, clicks INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (issue_id, reason)
        ) WITHOUT ROWID;
        CREATE TABLE subscriber_clicks (
            subscriber_id INTEGER REFERENCES subscribers ON DELETE CASCADE,
            issue_id TEXT NOT NULL, slot TEXT NOT NULL, url TEXT NOT NULL, at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        12,
        "the preference page's pause, and the salted hashes of erased addresses (personal_data.py)",
        """
        -- paused_until: no issue goes to them before this time (UTC, ms, as the send log writes it).
        ALTER TABLE subscribers ADD COLUMN paused_until TEXT;
        -- An erased (GDPR art. 17) address: sha256 of the project's erasure salt and its email_key.
        CREATE TABLE erased_addresses (hash TEXT PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID;
        """,
    ),
    Migration(
        13,
        "the desk's users, their sessions, and the audit log of what they changed (desk.py)",
        """
        -- Passwords as argon2id hashes; a session as the sha256 of its cookie, never the cookie.
        CREATE TABLE desk_users (
            name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE desk_sessions (
            token_hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES desk_users ON DELETE CASCADE,
            csrf TEXT NOT NULL, started TEXT NOT NULL, seen TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
            week TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_log_week ON audit_log (week, id);
        """,
    ),
    Migration(
        14,
        "the throttles every sending process shares (throttles.py)",
        """
        -- Times are Unix seconds. A rate's next free moment (a token bucket holding one token);
        CREATE TABLE throttle_slots (bucket TEXT PRIMARY KEY, next_at DOUBLE PRECISION NOT NULL);
        -- the connections held to a relay, one row per place up to its limit, each on a lease;
        CREATE TABLE throttle_holds (
            bucket TEXT NOT NULL, place INTEGER NOT NULL, holder TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (bucket, place)
        );
        -- the messages of a day counted against a warm-up's allowance;
        CREATE TABLE throttle_counts (bucket TEXT PRIMARY KEY, used INTEGER NOT NULL);
        -- a recipient domain that said "slow down": nobody sends to it before until_at.
        CREATE TABLE throttle_backoffs (
            domain TEXT PRIMARY KEY, until_at DOUBLE PRECISION NOT NULL, reply TEXT NOT NULL
        );
        """,
    ),
    Migration(
        15,
        "a send shared by worker processes on any host: its plan, its workers, its batches (leases.py)",
        """
        -- The issue as data and its Date header: every worker, on every host, sends these bytes.
        CREATE TABLE send_plans (
            issue_id TEXT PRIMARY KEY, issue_json TEXT NOT NULL, date TEXT NOT NULL, planned_at TEXT NOT NULL
        );
        CREATE TABLE send_workers (
            id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
            boot_id TEXT NOT NULL, started TEXT NOT NULL, heartbeat TEXT NOT NULL, ended TEXT,
            sent INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
            uncertain INTEGER NOT NULL DEFAULT 0
        );
        -- A batch: the active subscribers with first_id <= id <= last_id (the last reaches 2^62:
        -- BIGINT); open, leased by a worker until expires, or done.
        CREATE TABLE send_leases (
            issue_id TEXT NOT NULL, batch INTEGER NOT NULL, first_id BIGINT NOT NULL,
            last_id BIGINT NOT NULL, state TEXT NOT NULL DEFAULT 'open', worker TEXT, expires TEXT,
            PRIMARY KEY (issue_id, batch)
        );
        CREATE INDEX send_leases_state ON send_leases (issue_id, state);
        """,
    ),
)
