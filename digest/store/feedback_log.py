"""The feedback messages already processed (migration 7 in migrations.py): a mailbox read twice,
a message left unflagged by a crash, or the same bounce in two folders is counted once."""

from __future__ import annotations

import datetime as dt

from digest.store.connection import Store

SENT_ISSUES_CTE = """issues (issue_id) AS (
    SELECT MIN(issue_id) FROM send_log
    UNION ALL
    SELECT (SELECT MIN(l.issue_id) FROM send_log l WHERE l.issue_id > issues.issue_id)
    FROM issues WHERE issues.issue_id IS NOT NULL
)"""
"""Every issue id of the send log, one index seek each (for `WITH RECURSIVE`): joining it to the
send log on (issue, subscriber) finds one subscriber's sends by seeks, never a scan of the log."""


class ProcessedMessages:
    """The feedback_messages table, by message key (a Message-ID, or the hash of the bytes)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def seen(self, message_key: str) -> bool:
        row = self.store.fetchone("SELECT 1 FROM feedback_messages WHERE message_key = ?", (message_key,))
        return row is not None

    def record(self, message_key: str, *, source: str, kind: str, now: dt.datetime) -> bool:
        """Remember the message as processed; False when it already was (another fetch got it first)."""
        with self.store.transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO feedback_messages (message_key, source, kind, processed_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (message_key, source, kind, now.astimezone(dt.UTC).isoformat(timespec="seconds")),
            )
        return cursor.rowcount == 1

    def release(self, message_key: str) -> None:
        """Forget a claim whose work did not finish, so the next delivery of it is processed."""
        self.store.execute("DELETE FROM feedback_messages WHERE message_key = ?", (message_key,))

    def count(self) -> int:
        row = self.store.fetchone("SELECT count(*) FROM feedback_messages")
        return int(row[0]) if row else 0


def _stamp(at: dt.datetime) -> str:
    """As the send log and the suppression list write times (UTC, milliseconds): they compare as text."""
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def record_policy_block(
    store: Store,
    *,
    subscriber_id: int | None,
    domain: str,
    issue_id: str | None,
    status_line: str,
    at: dt.datetime,
) -> None:
    """Keep a policy block (it suppresses nobody) for the issue's figures and its domain view;
    `issue_id` None: the last issue sent to the subscriber before `at` (as for soft bounces)."""
    store.execute(
        "INSERT INTO policy_blocks (subscriber_id, domain, issue_id, status_line, at) VALUES (?, ?, ?, ?, ?)",
        (subscriber_id, domain.lower(), issue_id, status_line[:500], _stamp(at)),
    )


class ComplaintAcks:
    """The complaint_acks table: an issue whose complaint rate held the scheduled send, acknowledged."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def acknowledge(self, issue_id: str, *, by: str, now: dt.datetime) -> tuple[str, dt.datetime] | None:
        """Record it; None when it is new, else who acknowledged it before and when (kept)."""
        with self.store.transaction() as connection:
            row = connection.execute(
                "SELECT by, at FROM complaint_acks WHERE issue_id = ?", (issue_id,)
            ).fetchone()
            if row is not None:
                return row["by"], dt.datetime.fromisoformat(row["at"])
            connection.execute(
                "INSERT INTO complaint_acks (issue_id, by, at) VALUES (?, ?, ?)", (issue_id, by, _stamp(now))
            )
        return None

    def acknowledged(self) -> set[str]:
        return {row["issue_id"] for row in self.store.fetchall("SELECT issue_id FROM complaint_acks")}
