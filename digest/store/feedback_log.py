"""The feedback messages already processed (migration 7 in connection.py): a mailbox read twice,
a message left unflagged by a crash, or the same bounce in two folders is counted once."""

from __future__ import annotations

import datetime as dt

from digest.store.connection import Store


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
                "INSERT OR IGNORE INTO feedback_messages (message_key, source, kind, processed_at) "
                "VALUES (?, ?, ?, ?)",
                (message_key, source, kind, now.astimezone(dt.UTC).isoformat(timespec="seconds")),
            )
        return cursor.rowcount == 1

    def release(self, message_key: str) -> None:
        """Forget a claim whose work did not finish, so the next delivery of it is processed."""
        self.store.execute("DELETE FROM feedback_messages WHERE message_key = ?", (message_key,))

    def count(self) -> int:
        row = self.store.fetchone("SELECT count(*) FROM feedback_messages")
        return int(row[0]) if row else 0
