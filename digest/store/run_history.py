"""Unattended runs in the SQLite store: where each week's issue stands, who is working on it now,
and which stories recent issues carried.

Four tables, added by migrations 2 and 3 in digest/store/migrations.py (migration 4 adds the
proof's content hash to ``issue_runs``):

- ``issue_runs``: one row per issue id: built, thin (editors told), awaiting approval, rejected,
  sending, sent. What makes "re-running a finished week sends nothing" cheap and explicit.
- ``issue_stories``: the canonical URLs each issue went out with (written when sending starts,
  by ``digest.deliver.send.send_issue``); "never twice" looks back four issues.
- ``run_locks``: a row while a process builds or sends an issue. A second process (another
  scheduler, a cron `digest run --send`, a `digest send`, an approval) is told who holds it
  instead of doing the work twice, or settling the first one's messages in flight.
- ``stop_notices``: a row per issue and kind of stop (lint, SMTP, …) the editors were emailed
  about, so a timer that stops the same way at every tick tells them once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from digest.clock import Clock, utc_now
from digest.errors import LOCKED_EXIT, DigestError
from digest.store.backend import Connection, Row, Store

log = logging.getLogger("digest.runs.run")

RECENT_ISSUES = 4
"""A story sent in one of this many previous issues is left out of the next (unless pinned)."""


def _stamp(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment else None


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


class IssueState(StrEnum):
    BUILT = "built"
    """Built and archived; not sent (a run without --send, or waiting for one)."""
    THIN = "thin"
    """Skipped: fewer stories than min_stories."""
    AWAITING_APPROVAL = "awaiting_approval"
    """A [PROOF] went to the editors; subscribers get it after `digest approve`."""
    REJECTED = "rejected"
    """An editor objected: it never goes out unless approved after all."""
    SENDING = "sending"
    """Going out to subscribers (or stopped part-way: the next run resumes it)."""
    SENT = "sent"
    """Every active subscriber has it (or a final answer for it)."""


@dataclass(frozen=True, slots=True)
class IssueRecord:
    issue_id: str
    state: IssueState
    detail: str
    updated_at: dt.datetime
    editors_told_at: dt.datetime | None = None
    proof_sent_at: dt.datetime | None = None
    deadline: dt.datetime | None = None
    decided_by: str = ""
    decided_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    proof_hash: str = ""
    """The content hash of the proof the editors were sent (digest.runs.archive.issue_hash); ""
    before any proof, or for a proof sent before digest recorded it."""


_TIMES = ("editors_told_at", "proof_sent_at", "deadline", "decided_at", "sent_at")


def _record(row: Row) -> IssueRecord:
    return IssueRecord(
        issue_id=row["issue_id"],
        state=IssueState(row["state"]),
        detail=row["detail"],
        updated_at=dt.datetime.fromisoformat(row["updated_at"]),  # NOT NULL
        decided_by=row["decided_by"],
        proof_hash=row["proof_hash"],
        **{name: _moment(row[name]) for name in _TIMES},
    )


class IssueHistory:
    """The issue_runs and issue_stories tables."""

    def __init__(self, store: Store, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    def get(self, issue_id: str) -> IssueRecord | None:
        row = self.store.fetchone("SELECT * FROM issue_runs WHERE issue_id = ?", (issue_id,))
        return _record(row) if row is not None else None

    def records(self) -> list[IssueRecord]:
        """Every issue the runs know, newest id first (for the editors' list of weeks)."""
        rows = self.store.fetchall("SELECT * FROM issue_runs ORDER BY issue_id DESC")
        return [_record(row) for row in rows]

    def record(
        self,
        issue_id: str,
        state: IssueState,
        detail: str = "",
        *,
        decided_by: str | None = None,
        proof_hash: str | None = None,
        **times,
    ) -> IssueRecord:
        """Move an issue to ``state``; the given times (see ``_TIMES``), ``decided_by`` and
        ``proof_hash`` are set, the others kept."""
        unknown = set(times) - set(_TIMES)
        if unknown:
            raise TypeError(f"not an issue_runs time: {sorted(unknown)}")
        values = {
            "issue_id": issue_id,
            "state": str(state),
            "detail": detail,
            "updated_at": _stamp(self.clock()),
            **{name: _stamp(value) for name, value in times.items()},
        }
        if decided_by is not None:
            values["decided_by"] = decided_by
        if proof_hash is not None:
            values["proof_hash"] = proof_hash
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        updates = ", ".join(f"{name} = excluded.{name}" for name in values if name != "issue_id")
        self.store.execute(
            f"INSERT INTO issue_runs ({columns}) VALUES ({placeholders}) "
            f"ON CONFLICT (issue_id) DO UPDATE SET {updates}",
            values,
        )
        record = self.get(issue_id)
        assert record is not None  # the row was just written
        return record

    def remember_stories(self, issue_id: str, canonical_urls: Iterable[str]) -> None:
        with self.store.transaction() as connection:
            connection.executemany(
                "INSERT INTO issue_stories (issue_id, canonical_url) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(issue_id, url) for url in canonical_urls],
            )

    def recently_sent(self, before: str, issues: int = RECENT_ISSUES) -> dict[str, str]:
        """Canonical URL → the latest of the last ``issues`` issues before ``before`` that sent it."""
        rows = self.store.fetchall(
            "SELECT canonical_url, issue_id FROM issue_stories WHERE issue_id IN ("
            "  SELECT DISTINCT issue_id FROM issue_stories WHERE issue_id < ?"
            "  ORDER BY issue_id DESC LIMIT ?"
            ") ORDER BY issue_id",
            (before, issues),
        )
        return {row["canonical_url"]: row["issue_id"] for row in rows}

    def went_out(self) -> list[str]:
        """The ids of the issues that went out, newest first: recorded sent by a run, or delivered
        to at least one subscriber (a send still going, or `digest send` of an issue folder, which
        leaves its send log). Built, proofed, awaiting approval, rejected: drafts, never listed."""
        rows = self.store.fetchall(
            "SELECT issue_id FROM issue_runs WHERE state = 'sent' "
            "UNION SELECT issue_id FROM send_log WHERE state = 'sent' ORDER BY issue_id DESC"
        )
        return [row[0] for row in rows]

    def past_deadline(self, now: dt.datetime) -> list[IssueRecord]:
        """Issues awaiting approval whose deadline has passed: nobody objected, so they go out. And
        proofed issues whose send stopped part-way after that (state sending): no week's run may
        come back to them, so each tick resumes them."""
        rows = self.store.fetchall(
            "SELECT * FROM issue_runs WHERE state IN ('awaiting_approval', 'sending') "
            "AND deadline IS NOT NULL AND deadline <= ? ORDER BY issue_id",
            (_stamp(now),),
        )
        return [_record(row) for row in rows]


class StopNotices:
    """The stop_notices table: which stopped runs the editors were emailed about, per issue and
    kind of stop. Claimed before the email goes out (so two ticks at once send one), released
    when it could not go out (so the next tick tries again)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(self, issue_id: str, kind: str, now: dt.datetime) -> dt.datetime | None:
        """Claim the notice: None if it is this caller's to send, else when it was claimed before."""
        with self.store.transaction() as connection:
            row = connection.execute(
                "SELECT told_at FROM stop_notices WHERE issue_id = ? AND kind = ?", (issue_id, kind)
            ).fetchone()
            if row is not None:
                return dt.datetime.fromisoformat(row["told_at"])
            connection.execute(
                "INSERT INTO stop_notices (issue_id, kind, told_at) VALUES (?, ?, ?)",
                (issue_id, kind, _stamp(now)),
            )
        return None

    def release(self, issue_id: str, kind: str) -> None:
        """The notice did not go out: the next run may send it."""
        self.store.execute("DELETE FROM stop_notices WHERE issue_id = ? AND kind = ?", (issue_id, kind))


# --- the run lock ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockHolder:
    host: str
    pid: int
    boot_id: str
    since: dt.datetime

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since:%Y-%m-%d %H:%M:%S} UTC"


class IssueLocked(DigestError):
    """Another process is building or sending this issue."""

    exit_code = LOCKED_EXIT

    def __init__(self, message: str, *, holder: LockHolder | None = None) -> None:
        super().__init__(message)
        self.holder = holder
        """Who holds the lock (and since when), to tell a long-held lock from a run in progress."""


@dataclass(frozen=True, slots=True)
class ThisProcess:
    host: str
    pid: int
    boot_id: str

    @classmethod
    def current(cls) -> ThisProcess:
        return cls(host=socket.gethostname(), pid=os.getpid(), boot_id=_boot_id())


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def gone(holder: LockHolder, me: ThisProcess) -> bool:
    """A lock left behind by a process that died (kill -9, a crash, a reboot) on this machine."""
    if holder.host != me.host:
        return False  # another machine's process: we cannot tell, so it holds
    if holder.boot_id and me.boot_id and holder.boot_id != me.boot_id:
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True, slots=True)
class HeldLock:
    """What `issue_lock` yields: this process holds the issue's run lock. Work that must never
    run beside another process's (settling a send log, sending) asks for one."""

    issue_id: str
    holder: ThisProcess

    def is_held(self, connection: Connection) -> bool:
        """Whether the lock's row is still ours (read in the caller's transaction)."""
        row = connection.execute(
            "SELECT 1 FROM run_locks WHERE issue_id = ? AND host = ? AND pid = ?",
            (self.issue_id, self.holder.host, self.holder.pid),
        ).fetchone()
        return row is not None


@contextmanager
def issue_lock(
    store: Store,
    issue_id: str,
    *,
    me: ThisProcess | None = None,
    clock: Clock = utc_now,
) -> Iterator[HeldLock]:
    """Hold the issue's run lock for the block, or raise IssueLocked naming who holds it.

    Everything that builds or sends an issue (`digest run`, `send`, `approve`, the preview's
    approve button, the scheduler) holds it, so no two processes send one issue at once."""
    me = me or ThisProcess.current()
    with store.transaction() as connection:
        row = connection.execute("SELECT * FROM run_locks WHERE issue_id = ?", (issue_id,)).fetchone()
        if row is not None:
            since = dt.datetime.fromisoformat(row["since"])  # NOT NULL
            holder = LockHolder(row["host"], row["pid"], row["boot_id"], since)
            if not gone(holder, me):
                raise IssueLocked(f"{issue_id} is being built or sent by {holder.describe()}", holder=holder)
            log.warning("%s: taking over the lock of %s, which has gone", issue_id, holder.describe())
            connection.execute("DELETE FROM run_locks WHERE issue_id = ?", (issue_id,))
        connection.execute(
            "INSERT INTO run_locks (issue_id, host, pid, boot_id, since) VALUES (?, ?, ?, ?, ?)",
            (issue_id, me.host, me.pid, me.boot_id, _stamp(clock())),
        )
    try:
        yield HeldLock(issue_id, me)
    finally:
        store.execute(
            "DELETE FROM run_locks WHERE issue_id = ? AND host = ? AND pid = ?", (issue_id, me.host, me.pid)
        )
