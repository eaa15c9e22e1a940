"""A send shared by worker processes, on this host or on others: its plan, workers and batches.

Three tables (a migration in digest/store/migrations.py):

- ``send_plans``: one row per issue sent by workers: the issue as data and its Date header, so
  every worker on every host sends the same bytes (the copy the first send kept, never rebuilt).
- ``send_workers``: one row per worker process: host, pid, boot id, start, heartbeat and its counts
  (what `digest send --status` shows from any host).
- ``send_leases``: the active subscribers cut into batches by id (``first_id <= id <= last_id``),
  each open, leased by one worker until ``expires`` (renewed by its heartbeat), or done.

Claiming a batch is one transaction: on SQLite BEGIN IMMEDIATE (one writer at a time among the
host's processes), on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` (workers on any host skip the
rows another is taking). The same transaction first gives back the leases of workers that are
gone: expired, or on this host a pid that no longer runs. A gone worker's rows still in_flight
may have reached the server, so they become uncertain (never resent unless asked); the rest of its
batch has no send-log row and goes back to the pool. The send log's own rule (one row per issue
and subscriber, in_flight written before the final dot) keeps each copy exactly once whatever
the leases say: a lease only shares out the work and tells whose in_flight rows are dead.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from digest.clock import Clock, utc_now
from digest.store.connection import Store
from digest.store.run_history import LockHolder, ThisProcess, gone

LEASE_SECONDS = 30.0
"""How long a batch stays a worker's without a heartbeat (it beats three times per lease)."""

BATCH_SIZE = 1000
"""Active subscribers per batch: small enough to share out, large enough to claim rarely."""

_LAST_ID = 2**62
"""The last batch reaches past every id, so subscribers who join during the send are in one."""

_BATCHES_SQL = """
INSERT INTO send_leases (issue_id, batch, first_id, last_id)
SELECT ?, n, CASE n WHEN 0 THEN 0 ELSE first_id END,
       COALESCE(LEAD(first_id) OVER (ORDER BY first_id) - 1, ?)
FROM (SELECT id AS first_id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / ? AS n,
             (ROW_NUMBER() OVER (ORDER BY id) - 1) % ? AS k
      FROM subscribers WHERE status = 'active') AS numbered
WHERE k = 0
"""


_REPLACE = "issue_json = excluded.issue_json, date = excluded.date, "


@dataclass(frozen=True, slots=True)
class Plan:
    issue_id: str
    issue_json: str
    """The issue as data (digest.deliver.snapshot.issue_to_json), as the first send kept it."""
    date: dt.datetime
    """The messages' Date header, the same for every worker."""
    planned_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Batch:
    number: int
    first_id: int
    last_id: int


@dataclass(frozen=True, slots=True)
class WorkerState:
    """One worker as `digest send --status` shows it."""

    id: str
    host: str
    pid: int
    started: dt.datetime
    heartbeat: dt.datetime
    ended: dt.datetime | None
    sent: int
    failed: int
    uncertain: int
    alive: bool


@dataclass(frozen=True, slots=True)
class WorkerCounts:
    sent: int = 0
    failed: int = 0
    uncertain: int = 0


class SendLeases:
    """The plan, workers and batches of one issue's send."""

    def __init__(
        self,
        store: Store,
        issue_id: str,
        *,
        clock: Clock = utc_now,
        lease_seconds: float = LEASE_SECONDS,
        me: ThisProcess | None = None,
    ) -> None:
        self.store = store
        self.issue_id = issue_id
        self.clock = clock
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.me = me or ThisProcess.current()

    def _now(self) -> dt.datetime:
        return self.clock().astimezone(dt.UTC)

    def _skip_locked(self) -> str:
        """Rows another worker is claiming right now are skipped, not waited for (PostgreSQL;
        SQLite's BEGIN IMMEDIATE lets one writer in at a time, so there is nothing to skip)."""
        return " FOR UPDATE SKIP LOCKED" if self.store.dialect == "postgresql" else ""

    # --- the plan ----------------------------------------------------------------------------------

    def plan(self) -> Plan | None:
        row = self.store.fetchone("SELECT * FROM send_plans WHERE issue_id = ?", (self.issue_id,))
        if row is None:
            return None
        return Plan(row["issue_id"], row["issue_json"], _time(row["date"]), _time(row["planned_at"]))

    def joined(self) -> Plan | None:
        """The plan of a send in progress (batches not yet done), else None."""
        with self.store.transaction() as connection:
            return self._plan_in(connection) if self._batches_left(connection) else None

    def start(
        self, issue_json: str, date: dt.datetime, *, batch_size: int = BATCH_SIZE, replace: bool = True
    ) -> Plan:
        """Join the send in progress, or plan a new one: batches of today's active subscribers,
        with this issue and Date, or (`replace` false: someone has the issue) those the plan has."""
        with self.store.transaction() as connection:
            if self._batches_left(connection):
                return self._plan_in(connection)
            update = (_REPLACE if replace else "") + "planned_at = excluded.planned_at"
            connection.execute(
                "INSERT INTO send_plans (issue_id, issue_json, date, planned_at) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (issue_id) DO UPDATE SET {update}",
                (self.issue_id, issue_json, _stamp(date), _stamp(self._now())),
            )
            connection.execute("DELETE FROM send_leases WHERE issue_id = ?", (self.issue_id,))
            connection.execute(_BATCHES_SQL, (self.issue_id, _LAST_ID, batch_size, batch_size))
            return self._plan_in(connection)

    def _plan_in(self, connection: Any) -> Plan:
        row = connection.execute("SELECT * FROM send_plans WHERE issue_id = ?", (self.issue_id,)).fetchone()
        return Plan(row["issue_id"], row["issue_json"], _time(row["date"]), _time(row["planned_at"]))

    def _batches_left(self, connection: Any) -> int:
        return connection.execute(
            "SELECT COUNT(*) FROM send_leases WHERE issue_id = ? AND state <> 'done'", (self.issue_id,)
        ).fetchone()[0]

    # --- workers -------------------------------------------------------------------------------------

    def register(self) -> str:
        """This process as a worker of the send; its id."""
        worker = uuid.uuid4().hex[:16]
        now = _stamp(self._now())
        self.store.execute(
            "INSERT INTO send_workers (id, issue_id, host, pid, boot_id, started, heartbeat) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (worker, self.issue_id, self.me.host, self.me.pid, self.me.boot_id, now, now),
        )
        return worker

    def heartbeat(self, worker: str, counts: WorkerCounts) -> int:
        """Alive: the worker's counts, and its leases renewed; how many it still holds (0 when a
        lease it had was given back meanwhile, as another worker saw it expired)."""
        now = self._now()
        with self.store.transaction(concurrent=True) as connection:  # this worker's own rows only
            connection.execute(
                "UPDATE send_workers SET heartbeat = ?, sent = ?, failed = ?, uncertain = ? WHERE id = ?",
                (_stamp(now), counts.sent, counts.failed, counts.uncertain, worker),
            )
            cursor = connection.execute(
                "UPDATE send_leases SET expires = ? WHERE issue_id = ? AND worker = ? AND state = 'leased'",
                (_stamp(now + self.lease), self.issue_id, worker),
            )
            return cursor.rowcount

    def end(self, worker: str, counts: WorkerCounts) -> None:
        self.heartbeat(worker, counts)
        self.store.execute("UPDATE send_workers SET ended = ? WHERE id = ?", (_stamp(self._now()), worker))

    def workers(self) -> list[WorkerState]:
        rows = self.store.fetchall(
            "SELECT * FROM send_workers WHERE issue_id = ? ORDER BY started, id", (self.issue_id,)
        )
        return [self._worker_state(row) for row in rows]

    def _worker_state(self, row: Any) -> WorkerState:
        heartbeat = _time(row["heartbeat"])
        ended = _time(row["ended"]) if row["ended"] else None
        holder = LockHolder(row["host"], row["pid"], row["boot_id"], _time(row["started"]))
        alive = ended is None and heartbeat + self.lease > self._now() and not gone(holder, self.me)
        return WorkerState(
            row["id"], row["host"], row["pid"], _time(row["started"]), heartbeat, ended,
            row["sent"], row["failed"], row["uncertain"], alive,
        )  # fmt: skip

    def live_workers(self) -> list[WorkerState]:
        return [worker for worker in self.workers() if worker.alive]

    # --- batches -------------------------------------------------------------------------------------

    def claim(self, worker: str) -> Batch | None:
        """The next open batch, leased to `worker`; None when every batch is taken or done. Gone
        workers' leases are given back first."""
        now = self._now()
        with self.store.transaction(concurrent=True) as connection:  # it locks the rows it takes
            self._give_back_gone(connection, now)
            row = connection.execute(
                "SELECT batch, first_id, last_id FROM send_leases WHERE issue_id = ? AND state = 'open' "
                "ORDER BY batch LIMIT 1" + self._skip_locked(),
                (self.issue_id,),
            ).fetchone()
            if row is None:
                return None
            connection.execute(
                "UPDATE send_leases SET state = 'leased', worker = ?, expires = ? "
                "WHERE issue_id = ? AND batch = ?",
                (worker, _stamp(now + self.lease), self.issue_id, row[0]),
            )
            return Batch(row[0], row[1], row[2])

    def _give_back_gone(self, connection: Any, now: dt.datetime) -> int:
        """Leases whose worker is gone back to the pool; its rows in flight become uncertain."""
        rows = connection.execute(
            "SELECT l.batch, l.first_id, l.last_id, l.expires, w.host, w.pid, w.boot_id, w.started "
            "FROM send_leases l LEFT JOIN send_workers w ON w.id = l.worker "
            "WHERE l.issue_id = ? AND l.state = 'leased'"
            + (" FOR UPDATE OF l SKIP LOCKED" if self.store.dialect == "postgresql" else ""),
            (self.issue_id,),
        ).fetchall()
        given = 0
        for batch, first_id, last_id, expires, host, pid, boot_id, started in rows:
            expired = expires is None or _time(expires) <= now
            if not expired and host is not None:
                expired = gone(LockHolder(host, pid, boot_id, _time(started)), self.me)
            if not expired:
                continue
            connection.execute(
                "UPDATE send_log SET state = 'uncertain', updated_at = ? WHERE issue_id = ? "
                "AND state = 'in_flight' AND subscriber_id BETWEEN ? AND ?",
                (_stamp(now), self.issue_id, first_id, last_id),
            )
            connection.execute(
                "UPDATE send_leases SET state = 'open', worker = NULL, expires = NULL "
                "WHERE issue_id = ? AND batch = ?",
                (self.issue_id, batch),
            )
            given += 1
        return given

    def finish(self, worker: str, batch: Batch) -> None:
        """Every subscriber of the batch has been tried: done (the next send plans anew)."""
        self._set(worker, batch, "done")

    def give_back(self, worker: str, batch: Batch) -> None:
        """Stopped part-way (Ctrl-C, an unusable server): the batch's rest to another worker."""
        self._set(worker, batch, "open")

    def _set(self, worker: str, batch: Batch, state: str) -> None:
        self.store.execute(
            "UPDATE send_leases SET state = ?, worker = NULL, expires = NULL "
            "WHERE issue_id = ? AND batch = ? AND worker = ?",
            (state, self.issue_id, batch.number, worker),
        )

    def batch_counts(self) -> dict[str, int]:
        """Batches by state: open, leased, done."""
        counts = dict.fromkeys(("open", "leased", "done"), 0)
        for state, n in self.store.fetchall(
            "SELECT state, COUNT(*) FROM send_leases WHERE issue_id = ? GROUP BY state", (self.issue_id,)
        ):
            counts[state] = n
        return counts

    def settle(self) -> int:
        """At the end of a send, with nobody else sending the issue (its run lock held): rows in
        flight outside every live lease were left by workers gone: uncertain."""
        now = self._now()
        with self.store.transaction() as connection:
            self._give_back_gone(connection, now)
            cursor = connection.execute(
                "UPDATE send_log SET state = 'uncertain', updated_at = ? WHERE issue_id = ? "
                "AND state = 'in_flight' AND NOT EXISTS (SELECT 1 FROM send_leases l "
                "WHERE l.issue_id = send_log.issue_id AND l.state = 'leased' "
                "AND send_log.subscriber_id BETWEEN l.first_id AND l.last_id)",
                (_stamp(now), self.issue_id),
            )
            return cursor.rowcount


def _stamp(moment: dt.datetime) -> str:
    """UTC to the millisecond, as the send log writes its times (digest.deliver.ledger)."""
    return moment.isoformat(timespec="milliseconds")


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
