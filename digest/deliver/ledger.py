"""The send log: which subscriber has which issue. What makes a send exactly-once.

A row appears only at the point of no return (just before the final "." of DATA), in state
in_flight, and becomes sent / failed when the server answers. So, after any crash:
- no row: the server never got the whole message, so sending it is safe;
- in_flight: the process died between the dot and the reply: uncertain, not resent unless asked;
- sent / failed: done.
Each change is committed before the call returns (in WAL mode it then survives the process
being killed), with one exception that halves the commits of a busy send: `record_sent` only
queues the "sent" update, and the next claim (by any worker) commits it in the same transaction
as its own in_flight row; `flush` commits what is queued when no claim follows soon. A queued
update lost to a crash leaves its row in_flight, so the rerun reports that recipient uncertain
and never resends it; and since a worker's next claim flushes its own queued update, each
connection still has at most one row that a crash can leave in_flight.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

from digest.clock import Clock, utc_now
from digest.deliver.splice import Recipient
from digest.store import Store

PAGE_SIZE = 500


_SENT_SQL = (
    "UPDATE send_log SET state = 'sent', reply = ?, updated_at = ? WHERE issue_id = ? AND subscriber_id = ?"
)


class SendState(StrEnum):
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


class Ledger(Protocol):
    """What the sender needs from a send log (proofs and dry runs use one that keeps nothing)."""

    def claim(self, recipient: Recipient) -> bool: ...
    def record(self, recipient: Recipient, state: SendState, reply: str = "") -> None: ...
    def record_sent(self, recipient: Recipient, reply: str) -> None: ...
    def release(self, recipient: Recipient) -> None: ...
    def flush(self) -> None: ...


class NoLedger:
    """For proofs and dry runs: every claim succeeds, nothing is written."""

    def claim(self, recipient: Recipient) -> bool:
        return True

    def record(self, recipient: Recipient, state: SendState, reply: str = "") -> None:
        return None

    def record_sent(self, recipient: Recipient, reply: str) -> None:
        return None

    def release(self, recipient: Recipient) -> None:
        return None

    def flush(self) -> None:
        return None


class SendLedger:
    """The send log of one issue."""

    def __init__(
        self, store: Store, issue_id: str, *, resend_uncertain: bool = False, clock: Clock = utc_now
    ) -> None:
        self.store = store
        self.issue_id = issue_id
        self.resend_uncertain = resend_uncertain
        self.clock = clock
        self._sent: list[tuple[str, str, str, int]] = []
        """Queued "sent" updates (reply, time, issue, subscriber), written by the next claim or flush."""
        self._sent_lock = threading.Lock()
        # Claiming inserts the in_flight row, or changes nothing when the row exists (another
        # process, or an earlier run, has it) unless it is uncertain and those are to be resent.
        self._retake = "OR (excluded.state = 'in_flight' AND send_log.state = 'uncertain')" * resend_uncertain

    # --- reading ---------------------------------------------------------------------------------

    def _unsent_condition(self) -> str:
        retry = "AND l.state NOT IN ('uncertain', 'in_flight')" if self.resend_uncertain else ""
        return (
            "s.status = 'active' AND NOT EXISTS (SELECT 1 FROM send_log l "
            f"WHERE l.issue_id = :issue AND l.subscriber_id = s.id {retry})"
        )

    def pending(self, *, limit: int | None = None, page_size: int = PAGE_SIZE) -> Iterator[Recipient]:
        """Active subscribers without this issue, a page at a time (memory stays flat)."""
        last, given = 0, 0
        while limit is None or given < limit:
            size = page_size if limit is None else min(page_size, limit - given)
            rows = self.store.fetchall(
                f"SELECT s.id, s.email, s.name FROM subscribers s WHERE s.id > :last AND "
                f"{self._unsent_condition()} ORDER BY s.id LIMIT :size",
                {"issue": self.issue_id, "last": last, "size": size},
            )
            if not rows:
                return
            for row in rows:
                yield Recipient(email=row["email"], name=row["name"], subscriber_id=row["id"])
            given += len(rows)
            last = rows[-1]["id"]

    def count_pending(self) -> int:
        return self.store.fetchvalue(
            f"SELECT COUNT(*) FROM subscribers s WHERE {self._unsent_condition()}", {"issue": self.issue_id}
        )

    def counts(self) -> dict[SendState, int]:
        counts = dict.fromkeys(SendState, 0)
        for state, n in self.store.fetchall(
            "SELECT state, COUNT(*) FROM send_log WHERE issue_id = ? GROUP BY state", (self.issue_id,)
        ):
            counts[SendState(state)] = n
        return counts

    def uncertain(self) -> list[str]:
        """Addresses whose copy may or may not have arrived."""
        rows = self.store.fetchall(
            "SELECT s.email FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id "
            "WHERE l.issue_id = ? AND l.state IN ('uncertain', 'in_flight') ORDER BY s.id",
            (self.issue_id,),
        )
        return [row[0] for row in rows]

    def failures(self) -> list[tuple[str, str]]:
        rows = self.store.fetchall(
            "SELECT s.email, l.reply FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id "
            "WHERE l.issue_id = ? AND l.state = 'failed' ORDER BY s.id",
            (self.issue_id,),
        )
        return [(row[0], row[1]) for row in rows]

    # --- writing ---------------------------------------------------------------------------------

    def _now(self) -> str:
        return self.clock().isoformat(timespec="milliseconds")

    def settle_interrupted(self) -> int:
        """Rows left in flight by a process that died: uncertain. Call before sending, with the
        issue's run lock held (no other process sends this issue at the same time)."""
        cursor = self.store.execute(
            "UPDATE send_log SET state = 'uncertain', updated_at = ? "
            "WHERE issue_id = ? AND state = 'in_flight'",
            (self._now(), self.issue_id),
        )
        return cursor.rowcount

    def claim(self, recipient: Recipient) -> bool:
        """Mark in flight, just before the point of no return, committing the queued "sent"
        updates with it. False: someone else has it.

        One statement, so one commit and one trip into SQLite (each releases and retakes the GIL,
        which the sending threads contend for): the claim's row and the queued ones go into one
        INSERT whose ON CONFLICT turns the queued rows, in flight until now, into sent ones."""
        now = self._now()
        with self.store.lock:
            with self._sent_lock:
                sent, self._sent = self._sent, []
            rows = [(self.issue_id, recipient.subscriber_id, "in_flight", "", now)]
            rows += [(issue, subscriber, "sent", reply, at) for reply, at, issue, subscriber in sent]
            sql = (
                "INSERT INTO send_log (issue_id, subscriber_id, state, reply, updated_at) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?)"] * len(rows))
                + " ON CONFLICT (issue_id, subscriber_id) DO UPDATE SET state = excluded.state, "
                "reply = CASE excluded.state WHEN 'sent' THEN excluded.reply ELSE send_log.reply END, "
                "updated_at = excluded.updated_at "
                f"WHERE (excluded.state = 'sent' AND send_log.state = 'in_flight') {self._retake}"
            )
            try:
                changed = self.store.execute(sql, [value for row in rows for value in row]).rowcount
            except sqlite3.IntegrityError:
                self._requeue(sent)
                if not sent:
                    raise
                # A subscriber deleted meanwhile (its log rows went with it): the upsert would
                # insert its row again. Write the queued rows as plain updates, then claim alone.
                self.flush()
                return self.claim(recipient)
            except BaseException:
                self._requeue(sent)  # not written: still to be written
                raise
        # Every queued row is ours and in flight, so each counts once; the claim counts when it
        # took the row. Anything else would mean someone else touched our rows: do not send.
        return changed == len(rows)

    def record_sent(self, recipient: Recipient, reply: str) -> None:
        """The server accepted the message: queue the update for the next claim or flush."""
        with self._sent_lock:
            self._sent.append((reply, self._now(), self.issue_id, recipient.subscriber_id))

    def flush(self) -> None:
        """Commit the queued "sent" updates now (before waiting, and when the send ends)."""
        with self.store.lock:
            with self._sent_lock:
                sent, self._sent = self._sent, []
            if not sent:
                return
            try:
                with self.store.transaction() as connection:
                    connection.executemany(_SENT_SQL, sent)
            except BaseException:
                self._requeue(sent)
                raise

    def _requeue(self, sent: list[tuple[str, str, str, int]]) -> None:
        with self._sent_lock:
            self._sent[:0] = sent

    def record(self, recipient: Recipient, state: SendState, reply: str = "") -> None:
        self.store.execute(
            "UPDATE send_log SET state = ?, reply = ?, updated_at = ? "
            "WHERE issue_id = ? AND subscriber_id = ?",
            (state.value, reply, self._now(), self.issue_id, recipient.subscriber_id),
        )

    def release(self, recipient: Recipient) -> None:
        """The server refused after the dot with a 4xx: it does not have the message; forget the claim."""
        self.store.execute(
            "DELETE FROM send_log WHERE issue_id = ? AND subscriber_id = ? AND state = 'in_flight'",
            (self.issue_id, recipient.subscriber_id),
        )
