"""The send log: which subscriber has which issue. What makes a send exactly-once.

A row appears only at the point of no return (just before the final "." of DATA), in state
in_flight, and becomes sent / failed when the server answers. So, after any crash:
- no row: the server never got the whole message, so sending it is safe;
- in_flight: the process died between the dot and the reply: uncertain, not resent unless asked;
- sent / failed: done.
Each change is one autocommitted statement; in WAL mode it survives the process being killed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

from digest.deliver.splice import Recipient
from digest.store import Store

PAGE_SIZE = 500


class SendState(StrEnum):
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Ledger(Protocol):
    """What the sender needs from a send log (proofs and dry runs use one that keeps nothing)."""

    def claim(self, recipient: Recipient) -> bool: ...
    def record(self, recipient: Recipient, state: SendState, reply: str = "") -> None: ...
    def release(self, recipient: Recipient) -> None: ...


class NoLedger:
    """For proofs and dry runs: every claim succeeds, nothing is written."""

    def claim(self, recipient: Recipient) -> bool:
        return True

    def record(self, recipient: Recipient, state: SendState, reply: str = "") -> None:
        return None

    def release(self, recipient: Recipient) -> None:
        return None


class SendLedger:
    """The send log of one issue."""

    def __init__(self, store: Store, issue_id: str, *, resend_uncertain: bool = False) -> None:
        self.store = store
        self.issue_id = issue_id
        self.resend_uncertain = resend_uncertain

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
        return self.store.fetchone(
            f"SELECT COUNT(*) FROM subscribers s WHERE {self._unsent_condition()}", {"issue": self.issue_id}
        )[0]

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

    def settle_interrupted(self) -> int:
        """Rows left in flight by a process that died: uncertain. Call before sending, with the
        issue's run lock held (no other process sends this issue at the same time)."""
        cursor = self.store.execute(
            "UPDATE send_log SET state = 'uncertain', updated_at = ? "
            "WHERE issue_id = ? AND state = 'in_flight'",
            (_now(), self.issue_id),
        )
        return cursor.rowcount

    def claim(self, recipient: Recipient) -> bool:
        """Mark in flight, just before the point of no return. False: someone else has it."""
        retake = (
            "DO UPDATE SET state = 'in_flight', updated_at = excluded.updated_at "
            "WHERE send_log.state = 'uncertain'"
            if self.resend_uncertain
            else "DO NOTHING"
        )
        cursor = self.store.execute(
            "INSERT INTO send_log (issue_id, subscriber_id, state, updated_at) VALUES (?, ?, 'in_flight', ?) "
            f"ON CONFLICT (issue_id, subscriber_id) {retake}",
            (self.issue_id, recipient.subscriber_id, _now()),
        )
        return cursor.rowcount == 1

    def record(self, recipient: Recipient, state: SendState, reply: str = "") -> None:
        self.store.execute(
            "UPDATE send_log SET state = ?, reply = ?, updated_at = ? "
            "WHERE issue_id = ? AND subscriber_id = ?",
            (state.value, reply, _now(), self.issue_id, recipient.subscriber_id),
        )

    def release(self, recipient: Recipient) -> None:
        """The server refused after the dot with a 4xx: it does not have the message; forget the claim."""
        self.store.execute(
            "DELETE FROM send_log WHERE issue_id = ? AND subscriber_id = ? AND state = 'in_flight'",
            (self.issue_id, recipient.subscriber_id),
        )
