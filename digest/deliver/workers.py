"""One issue sent by many worker processes, on this host and others, exactly once.

`digest send ISSUE --workers N` (digest/cli/send_workers.py) starts the send here or joins the
one in progress (`start_send`), runs N processes that each run a `SendWorker`, and ends it
(`end_send`). Workers share the store and nothing else:

- the plan (digest/store/leases.py) holds the issue as data and its Date header: each worker
  renders and encodes that issue once, so every process sends the same bytes;
- a worker leases a batch of subscribers, sends it with its own SMTP connections through
  `deliver` (pool.py) and the send log's per-recipient rule (ledger.py: in_flight just before the
  final dot), and marks it done; a heartbeat renews its lease;
- a worker that dies (kill -9, a lost host) loses its lease when it expires, or at once when it
  ran on the claiming worker's host; its rows in flight become uncertain, the rest of its batch
  goes to another worker.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.pool import Outcome, SendOptions, SendReport, deliver
from digest.deliver.send import (
    IssueSendReport,
    PreparedSend,
    bouncer,
    going_out,
    load_dkim,
    remember_stories,
    send_throttle,
    settled,
)
from digest.deliver.smtp_target import SmtpTarget
from digest.deliver.snapshot import issue_to_json
from digest.deliver.splice import Recipient
from digest.deliver.transports import smtp_transports
from digest.store import Store
from digest.store.errors import StoreError
from digest.store.leases import BATCH_SIZE, LEASE_SECONDS, Batch, Plan, SendLeases, WorkerCounts
from digest.store.run_history import IssueLocked, issue_lock

log = logging.getLogger("digest.deliver.workers")

WAIT_FOR_OTHERS = 0.1
"""Seconds between looks at the batches other workers hold, once none is left to claim."""


def start_send(prepared: PreparedSend, store: Store, *, batch_size: int = BATCH_SIZE) -> Plan:
    """Join the issue's send in progress (its plan as it is), or start one: under the issue's run
    lock for a moment (so not beside a single-process send), the stories remembered, the copy that
    goes out kept and planned with its Date (until someone has the issue: then the plan's stays)."""
    leases = SendLeases(store, prepared.issue_id)
    with issue_lock(store, prepared.issue_id):
        joined = leases.joined()
        if joined is not None:
            return joined
        remember_stories(prepared, store)
        already = going_out(prepared, SendLedger(store, prepared.issue_id))
        nobody_has_it = not (already[SendState.SENT] or already[SendState.UNCERTAIN])
        issue_json = issue_to_json(prepared.issue)
        return leases.start(issue_json, prepared.template.date, batch_size=batch_size, replace=nobody_has_it)


@dataclass
class WorkerReport:
    """What one worker did, over all the batches it sent."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    batches: int = 0
    bounced: list[str] = field(default_factory=list)
    error: str = ""
    fatal: BaseException | None = None
    stopped: bool = False
    seconds: float = 0.0

    def counts(self) -> WorkerCounts:
        outcomes = self.outcomes
        return WorkerCounts(outcomes[Outcome.SENT], outcomes[Outcome.FAILED], outcomes[Outcome.UNCERTAIN])


@dataclass(slots=True)
class _Held:
    """A batch leased to this worker, as its run goes through it."""

    batch: Batch
    handed: int = 0
    """Recipients handed to the connections."""
    told: int = 0
    """Outcomes heard of them."""
    exhausted: bool = False
    """Every recipient of the batch handed out."""


class SendWorker:
    """One worker process's part of a send: lease a batch, send it, lease the next as the one before
    hands out its last recipient, mark each done as its last outcome comes in, until none is left."""

    def __init__(
        self,
        prepared: PreparedSend,
        store: Store,
        *,
        target: SmtpTarget,
        concurrency: int | None = None,
        rate: float | None = None,
        resend_uncertain: bool = False,
        lease_seconds: float = LEASE_SECONDS,
        on_outcome: Callable[[Recipient, Outcome, str], None] | None = None,
    ) -> None:
        self.prepared = prepared
        self.store = store
        self.target = target
        self.concurrency = concurrency
        self.rate = rate
        self.resend_uncertain = resend_uncertain
        self.leases = SendLeases(store, prepared.issue_id, lease_seconds=lease_seconds)
        self.beat_every = lease_seconds / 3
        # With nothing left to claim, how often to look whether another worker's batch ended or
        # came back: often, as a worker that slept 2 s here ended the send up to 2 s after its last
        # copy (a query on a table of one row per 1,000 subscribers, cheap beside a send).
        self.wait_for_others = min(self.beat_every, WAIT_FOR_OTHERS)
        self.on_outcome = on_outcome
        self.report = WorkerReport()
        self.stopping = threading.Event()
        self.batch_stop = threading.Event()
        self.lock = threading.Lock()
        """Held while the batches held change, so a heartbeat never reads a lease half-claimed."""
        self.count_lock = threading.Lock()
        self.held: dict[int, _Held] = {}
        """The batches leased to this worker and not yet done or given back, by number."""
        self.lost = False

    def stop(self) -> None:
        """Finish the messages on the way, then stop (SIGTERM, Ctrl-C): the batch's rest goes back."""
        self.stopping.set()
        self.batch_stop.set()

    def run(self) -> WorkerReport:
        started = time.perf_counter()
        self.worker = self.leases.register()
        beating = threading.Event()
        heart = threading.Thread(target=self._beat, args=(beating,), name="heartbeat", daemon=True)
        heart.start()
        first = not SendLedger(self.store, self.prepared.issue_id).counts()[SendState.SENT]
        try:
            while not self.stopping.is_set() and (batch := self._claim()) is not None:
                run = self._send(batch, short_runs_trip=first)
                first = False
                if not self._after(run) or run.fatal is not None or run.error:
                    break
        finally:
            beating.set()
            heart.join()
            self.report.seconds = time.perf_counter() - started
            self.report.stopped = self.report.stopped or self.stopping.is_set()
            with contextlib.suppress(StoreError):
                self.leases.end(self.worker, self.report.counts())
        return self.report

    def _claim(self) -> Batch | None:
        """The first batch of a run; with none open but some leased by others, wait: one of them
        may die, and its batch then comes back (at once on this host, else when its lease expires)."""
        while True:
            with self.lock:
                self.batch_stop = threading.Event()
                self.lost = False
                if self.stopping.is_set():
                    self.batch_stop.set()
            if (batch := self._lease()) is not None:
                return batch
            if not self.leases.batch_counts()["leased"] or self.stopping.wait(self.wait_for_others):
                return None

    def _lease(self) -> Batch | None:
        """The next open batch, held from now on (None: none is open)."""
        with self.lock:
            batch = self.leases.claim(self.worker)
            if batch is not None:
                self.held[batch.number] = _Held(batch)
            return batch

    def _send(self, batch: Batch, *, short_runs_trip: bool) -> SendReport:
        """One run of the sending pool over `batch` and the batches leased after it, each leased
        when the one before has handed out its last recipient: the connections go on from one
        batch to the next, on the same SMTP sessions, without waiting for the last messages of the
        one before; they close when the run ends, when no batch is left open (measured:
        two workers sending 20,000 messages on PostgreSQL took 4.3 s in runs of a batch each, 3.7 s
        in one run each)."""
        prepared = self.prepared
        ledger = SendLedger(self.store, prepared.issue_id, resend_uncertain=self.resend_uncertain)
        options = SendOptions.for_smtp(
            prepared.delivery.smtp,
            rate=self.rate,
            concurrency=self.concurrency,
            on_outcome=self._count,
            on_bounce=bouncer(self.store, self.report.bounced),
            refusal_window=prepared.delivery.smtp.refusal_window,
            short_runs_trip=short_runs_trip,
        )
        return deliver(
            prepared.template,
            self._recipients(batch, ledger),
            ledger=ledger,
            sender=prepared.envelope_sender,
            transports=smtp_transports(self.target),
            options=options,
            signer=load_dkim(prepared),
            stop=self.batch_stop,
            throttle=send_throttle(prepared, self.store, self.target),  # shared by every worker
        )

    def _recipients(self, batch: Batch | None, ledger: SendLedger) -> Iterator[Recipient]:
        """The recipients of `batch`, then of each batch leased after it, until none is open."""
        while batch is not None:
            held = self.held[batch.number]
            for recipient in ledger.pending(ids=(batch.first_id, batch.last_id)):
                held.handed += 1
                yield recipient
            held.exhausted = True
            self._finish_if_told(held)
            if self.batch_stop.is_set():
                return
            batch = self._lease()

    def _finish_if_told(self, held: _Held) -> None:
        """A batch whose every recipient was handed out and has its outcome: done, during the run."""
        with self.lock:
            if held.exhausted and held.told >= held.handed and held.batch.number in self.held:
                del self.held[held.batch.number]
                self.leases.finish(self.worker, held.batch)
                self.report.batches += 1

    def _after(self, run: SendReport) -> bool:
        """The batches still held when the run ended: done, or (stopped, the server unusable, or
        not every recipient handed out) given back; not ours any more if a lease was lost. False
        when the run ended early of itself: the warm-up's allowance for today is used up, so
        this worker's day is over too (its batches wait, open, for tomorrow's run)."""
        with self.lock:
            held, self.held = list(self.held.values()), {}
            if self.lost:
                log.warning("a batch's lease expired meanwhile; another worker has it")
                for each in held:  # what is still ours (giving back touches only our own leases)
                    self.leases.give_back(self.worker, each.batch)
                return True
            failed = run.fatal is not None or bool(run.error) or run.stopped
            for each in held:
                self.report.batches += 1
                if failed or not each.exhausted:
                    self.leases.give_back(self.worker, each.batch)
                else:
                    self.leases.finish(self.worker, each.batch)
            if failed:
                self.report.error = self.report.error or run.error
                self.report.fatal = self.report.fatal or run.fatal
                self.report.stopped = self.report.stopped or run.stopped
            return failed or all(each.exhausted for each in held)

    def _count(self, recipient: Recipient, outcome: Outcome, detail: str) -> None:
        with self.count_lock:
            self.report.outcomes[outcome] += 1
        for held in list(self.held.values()):
            if held.batch.first_id <= recipient.subscriber_id <= held.batch.last_id:
                held.told += 1
                self._finish_if_told(held)
                break
        if self.on_outcome is not None:
            self.on_outcome(recipient, outcome, detail)

    def _beat(self, done: threading.Event) -> None:
        """Alive, every third of a lease: counts written, the lease renewed, a lost one noticed."""
        while not done.wait(self.beat_every):
            with self.lock:
                try:
                    held = self.leases.heartbeat(self.worker, self.report.counts())
                except StoreError as e:  # busy or full: the next beat tries again; the lease may lapse
                    log.warning("heartbeat not written: %s", e)
                    continue
                if held < len(self.held):
                    self.lost = True
                    self.batch_stop.set()


def end_send(store: Store, issue_id: str, run: SendReport) -> IssueSendReport:
    """The send log's totals once this host's workers are done; with no worker alive anywhere,
    rows left in flight by workers gone are settled as uncertain first (under the run lock)."""
    leases = SendLeases(store, issue_id)
    with contextlib.suppress(IssueLocked), issue_lock(store, issue_id):
        if not leases.live_workers():
            leases.settle()
    ledger = SendLedger(store, issue_id)
    report = IssueSendReport(
        run=run, uncertain=ledger.uncertain(), pending=ledger.count_pending(), totals=ledger.counts()
    )
    if leases.live_workers():  # others still sending: not this host's to call finished
        return report
    return settled(store, issue_id, report)
