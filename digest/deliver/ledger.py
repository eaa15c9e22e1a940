"""The send log: which subscriber has which issue. What makes a send exactly-once.

A row appears only at the point of no return (just before the final "." of DATA), in state
in_flight, and only for a subscriber active at that moment (a suppressed one is not active:
digest/store/suppression.py, which also reads the "sent" rows as the deliveries that reset a
soft-bounce count); it becomes sent / failed when the
server answers. Many processes may write an issue's log at once, each row by one of them: the
INSERT that claims a row changes nothing when the row exists, so of two claims of one subscriber
one wins and the other is declined. Who settles rows left in flight: a single `digest send` holds
the issue's run lock (digest/store/run_history.py), so every row in flight is its own or left by a
process gone; workers (digest/deliver/workers.py) lease batches of subscribers
(digest/store/leases.py), and a batch's rows in flight are settled only once its lease is given
back (its worker gone, or its lease expired). So, after any crash:
- no row: the server never got the whole message, so sending it is safe;
- in_flight: the process died between the dot and the reply: uncertain, not resent unless asked;
- sent / failed: done.
Each change is committed before the call returns (in WAL mode it then survives the process
being killed), with one exception that halves the commits of a busy send: `record_sent` only
queues the "sent" update, and the next claim (by any connection) commits it in the same transaction
as its own in_flight row; `flush` commits what is queued when no claim follows soon. A queued
update lost to a crash leaves its row in_flight, so the rerun reports that recipient uncertain
and never resends it; and since a connection's next claim flushes its own queued update, each
connection still has at most one row that a crash can leave in_flight.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from digest.clock import Clock, millis_text, utc_now
from digest.deliver.splice import Recipient
from digest.store import HeldLock, IssueLocked, Store
from digest.store.many_rows import rows_table

PAGE_SIZE = 500


_SENT_SQL = (
    "UPDATE send_log SET state = 'sent', reply = ?, updated_at = ? WHERE issue_id = ? AND subscriber_id = ?"
)


_NOT_PAUSED = "(s.paused_until IS NULL OR s.paused_until <= %s)"
"""Paused on the preference page: not sent to until the pause ends (times compare as text: the
pause is written as the send log writes its times, UTC to the millisecond)."""


_CLAIM_COLUMNS = ("text", "bigint", "text", "text", "text")
"""The claim's rows: issue, subscriber, state, reply, time (their PostgreSQL types, for the arrays
that carry them there: many_rows.rows_table)."""


@functools.cache
def _claim_sql(rows: str, retake: str) -> str:
    """The claim's INSERT of the `rows` table (`_CLAIM_COLUMNS`): an in_flight row only for an
    active subscriber not paused at that time, a queued "sent" for one who still exists;
    RETURNING what it wrote. An existing row changes only from in_flight to sent (or uncertain to
    in_flight when `retake` says so)."""
    return (
        "INSERT INTO send_log (issue_id, subscriber_id, state, reply, updated_at) "
        f"SELECT column1, column2, column3, column4, column5 FROM {rows} "
        "WHERE EXISTS (SELECT 1 FROM subscribers s WHERE s.id = row.column2 "
        f"AND (row.column3 = 'sent' OR (s.status = 'active' AND {_NOT_PAUSED % 'row.column5'}))) "
        "ON CONFLICT (issue_id, subscriber_id) DO UPDATE SET state = excluded.state, "
        "reply = CASE excluded.state WHEN 'sent' THEN excluded.reply ELSE send_log.reply END, "
        "updated_at = excluded.updated_at "
        f"WHERE (excluded.state = 'sent' AND send_log.state = 'in_flight') {retake} "
        "RETURNING subscriber_id, state"
    )


@dataclass(eq=False)
class _Claim:
    """One thread's claim of one subscriber, waiting to be written with others (see `claim`)."""

    subscriber_id: int
    settled: bool = False
    won: bool = False
    error: BaseException | None = None


class SendState(StrEnum):
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


class Ledger(Protocol):
    """What the sender needs from a send log (proofs and dry runs use one that keeps nothing)."""

    def claim(self, recipient: Recipient) -> bool: ...
    def claim_group(self, recipients: list[Recipient]) -> list[bool]: ...
    def record(self, recipient: Recipient, state: SendState, reply: str = "") -> None: ...
    def record_sent(self, recipient: Recipient, reply: str) -> None: ...
    def release(self, recipient: Recipient) -> None: ...
    def flush(self) -> None: ...


class NoLedger:
    """For proofs and dry runs: every claim succeeds, nothing is written."""

    def claim(self, recipient: Recipient) -> bool:
        return True

    def claim_group(self, recipients: list[Recipient]) -> list[bool]:
        return [True] * len(recipients)

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
        self._claims: list[_Claim] = []
        """Claims queued by threads waiting for the store's lock (see `claim`)."""
        # Claiming inserts the in_flight row, or changes nothing when the row exists (another
        # process, or an earlier run, has it) unless it is uncertain and those are to be resent.
        self._retake = "OR (excluded.state = 'in_flight' AND send_log.state = 'uncertain')" * resend_uncertain

    # --- reading ---------------------------------------------------------------------------------

    def _unsent_condition(self) -> str:
        retry = "AND l.state NOT IN ('uncertain', 'in_flight')" if self.resend_uncertain else ""
        return (
            f"s.status = 'active' AND {_NOT_PAUSED % ':now'} AND NOT EXISTS (SELECT 1 FROM send_log l "
            f"WHERE l.issue_id = :issue AND l.subscriber_id = s.id {retry})"
        )

    def pending(
        self,
        *,
        limit: int | None = None,
        page_size: int = PAGE_SIZE,
        ids: tuple[int, int] = (0, 2**62),
    ) -> Iterator[Recipient]:
        """Active subscribers without this issue (and not paused), a page at a time (memory stays
        flat), each with the name for the To header and the first name for the greeting. `ids`:
        only those with an id in this range, both ends included (a worker's batch)."""
        last, given = ids[0] - 1, 0
        while limit is None or given < limit:
            size = page_size if limit is None else min(page_size, limit - given)
            rows = self.store.fetchall(
                f"SELECT s.id, s.email, s.name, s.first_name FROM subscribers s WHERE s.id > :last "
                f"AND s.id <= :upto AND {self._unsent_condition()} ORDER BY s.id LIMIT :size",
                {"issue": self.issue_id, "last": last, "upto": ids[1], "size": size, "now": self._now()},
            )
            if not rows:
                return
            for row in rows:
                yield Recipient(
                    email=row["email"],
                    name=row["name"],
                    subscriber_id=row["id"],
                    first_name=row["first_name"],
                )
            given += len(rows)
            last = rows[-1]["id"]

    def count_pending(self) -> int:
        return self.store.fetchvalue(
            f"SELECT COUNT(*) FROM subscribers s WHERE {self._unsent_condition()}",
            {"issue": self.issue_id, "now": self._now()},
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
        return millis_text(self.clock)

    def settle_interrupted(self, lock: HeldLock) -> int:
        """Rows left in flight by a process that died: uncertain. Only with the issue's run lock
        held (checked in the same transaction): another process's in_flight rows are live."""
        if lock.issue_id != self.issue_id:
            raise ValueError(f"the lock of {lock.issue_id} does not cover the send log of {self.issue_id}")
        with self.store.transaction() as connection:
            if not lock.is_held(connection):
                raise IssueLocked(f"{self.issue_id}: this process no longer holds the issue's run lock")
            cursor = connection.execute(
                "UPDATE send_log SET state = 'uncertain', updated_at = ? "
                "WHERE issue_id = ? AND state = 'in_flight'",
                (self._now(), self.issue_id),
            )
            return cursor.rowcount

    def claim(self, recipient: Recipient) -> bool:
        """Mark in flight, just before the point of no return, committing the queued "sent"
        updates with it. False: someone else has it, or the subscriber is no longer active
        (unsubscribed or erased since the page of recipients was read).

        Claims are committed in groups: a thread queues its claim and takes the store's lock;
        whoever holds it writes every claim queued by then (and the queued "sent" rows) in one
        statement, one commit and one trip into SQLite or PostgreSQL, and a thread whose claim
        was written meanwhile returns at once. Each claim is still committed before its own
        thread writes its dot, so a crash leaves no more rows in flight than there are
        connections; threads waiting on the lock were waiting anyway. The statement reads the
        subscriber's status itself, so an unsubscribe committed a moment ago is seen; rows of an
        erased subscriber are left out (its log went with it)."""
        return self.claim_group([recipient])[0]

    def claim_group(self, recipients: list[Recipient]) -> list[bool]:
        """`claim` for several recipients at once (the sending pool's connections that reached
        their dot together), written with any other thread's queued claims: whether each won."""
        mine = [_Claim(recipient.subscriber_id) for recipient in recipients]
        with self._sent_lock:
            self._claims.extend(mine)
        with self.store.lock:
            while not all(claim.settled for claim in mine):
                self._write_claims()
        for claim in mine:
            if claim.error is not None:
                raise claim.error
        return [claim.won for claim in mine]

    def _write_claims(self) -> None:
        """Every queued claim (one per subscriber: a second waits for the next statement) and
        every queued "sent" update, in one INSERT; each claim told whether it won."""
        now = self._now()
        with self._sent_lock:
            claims: dict[int, _Claim] = {}
            for claim in self._claims:
                claims.setdefault(claim.subscriber_id, claim)
            self._claims = [claim for claim in self._claims if claims[claim.subscriber_id] is not claim]
            sent, self._sent = self._sent, []
        rows = [(self.issue_id, subscriber, "in_flight", "", now) for subscriber in claims]
        rows += [(issue, subscriber, "sent", reply, at) for reply, at, issue, subscriber in sent]
        try:
            # On PostgreSQL five arrays: one statement text whatever the group's size, where one of
            # more than 50 parameters (ten rows) is parsed again in Python by psycopg at every run.
            table, values = rows_table(self.store, _CLAIM_COLUMNS, rows)
            written = self.store.fetchall(_claim_sql(table, self._retake), values)
        except BaseException as e:
            self._requeue(sent)  # not written: still to be written
            for claim in claims.values():
                claim.error, claim.settled = e, True
            return
        won = {row[0] for row in written if row[1] == "in_flight"}
        for subscriber, claim in claims.items():
            claim.won, claim.settled = subscriber in won, True

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
