"""Send one prepared issue to many recipients: worker threads, one SMTP connection each.

The calling thread streams recipients into a small queue (memory stays flat); each worker
personalises, signs and sends, retrying temporary failures with backoff on a fresh connection
when needed, and records every outcome in the ledger. A "sent" is written with the next claim
(one commit per message instead of two); a worker flushes it itself before it waits for
anything. Stopping (Ctrl-C, or `stop.set()`) lets each worker finish the message it is on, so
the log stays exact. Permanent refusals go through the breaker (breaker.py), which records them
or, when they come in a row alike, stops the send instead.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from digest.deliver.breaker import Refusal, RefusalBreaker
from digest.deliver.dkim_signing import DkimSigner
from digest.deliver.ledger import Ledger, SendState
from digest.deliver.smtp import (
    ConnectFailure,
    Declined,
    PermanentFailure,
    SmtpError,
    TemporaryFailure,
    Uncertain,
)
from digest.deliver.splice import Recipient
from digest.deliver.transports import MessageSource, Transport
from digest.errors import DigestError
from digest.settings import SmtpSettings


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    """5xx: recorded with the server's reply."""
    DEFERRED = "deferred"
    """Temporary failures until the retries ran out; the next run tries again."""
    UNCERTAIN = "uncertain"
    SKIPPED = "skipped"
    """Claimed by someone else meanwhile."""


@dataclass
class SendReport:
    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    skipped: int = 0
    bounced: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False
    """Stopped early (Ctrl-C or a fatal error) before every recipient was tried."""
    error: str = ""
    """Why the run stopped, when the server became unusable (login refused, unreachable, every
    recipient refused alike)."""
    fatal: DigestError | None = None
    """The error itself when the server could not be used at all (login refused, no TLS, nothing
    answering at its address, recipients refused alike), as opposed to lost during the run: for
    callers that raise it rather than report it."""

    def deferred_reason(self) -> str:
        """What the server said most often of the deferred messages ("" when none was)."""
        replies = Counter(reply for _, reply in self.deferred)
        return replies.most_common(1)[0][0] if replies else ""

    @property
    def attempted(self) -> int:
        return self.sent + len(self.failed) + len(self.deferred) + len(self.uncertain) + self.skipped

    @property
    def rate(self) -> float:
        return self.attempted / self.seconds if self.seconds else 0.0


@dataclass
class SendOptions:
    concurrency: int = 4
    rate: float = 0.0
    """Messages per second over all workers; 0: as fast as the server takes them."""
    retries: int = 5
    retry_delay: float = 2.0
    on_outcome: Callable[[Recipient, Outcome, str], None] | None = None
    on_bounce: Callable[[Recipient, str], None] | None = None
    """A 5.1.x refusal of the address: the caller marks the subscriber bounced."""
    refusal_window: int = 0
    """Stop the send when this many recipients in a row are refused alike (see breaker.py); 0: never."""
    short_runs_trip: bool = True
    """Stop too when every recipient of a shorter run was refused alike (see RefusalBreaker)."""

    @classmethod
    def for_smtp(
        cls,
        smtp: SmtpSettings,
        *,
        concurrency: int | None = None,
        rate: float | None = None,
        on_outcome: Callable[[Recipient, Outcome, str], None] | None = None,
        on_bounce: Callable[[Recipient, str], None] | None = None,
        refusal_window: int = 0,
        short_runs_trip: bool = True,
    ) -> SendOptions:
        """[smtp]'s concurrency, rate and retries, with what the caller gives instead (None: keep)."""
        return cls(
            concurrency=smtp.concurrency if concurrency is None else concurrency,
            rate=smtp.rate if rate is None else rate,
            retries=smtp.retries,
            retry_delay=smtp.retry_delay,
            on_outcome=on_outcome,
            on_bounce=on_bounce,
            refusal_window=refusal_window,
            short_runs_trip=short_runs_trip,
        )


class RateLimiter:
    """Evenly spaced start times across threads (a one-slot token bucket); 0 means unlimited."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.lock = threading.Lock()
        self.next_slot = time.monotonic()

    def wait(self, stop: threading.Event) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            stop.wait(slot - now)


class Unreachable(Exception):
    """Every try failed to open a connection: the server is down or full, not this message."""


@dataclass
class _Shared:
    template: MessageSource
    ledger: Ledger
    sender: Callable[[Recipient], str]
    signer: DkimSigner | None
    options: SendOptions
    limiter: RateLimiter
    stop: threading.Event
    report: SendReport
    breaker: RefusalBreaker
    lock: threading.Lock = field(default_factory=threading.Lock)
    fatal: BaseException | None = None
    unreachable: str = ""
    workers_lost: int = 0


def _backoff(attempt: int, base: float) -> float:
    # Exponential with jitter, so connections that failed together do not retry in lockstep.
    return base * (2**attempt) * random.uniform(0.5, 1.0)


def _deliver_one(shared: _Shared, transport: Transport, recipient: Recipient) -> tuple[Outcome, str] | None:
    """How sending to one recipient ended; None for a refusal the breaker holds (see _refused)."""
    data = shared.template.personalise(recipient)
    if shared.signer is not None:
        data = shared.signer.sign(data)
    ledger, options = shared.ledger, shared.options
    last, unreachable = "", True
    for attempt in range(options.retries + 1):
        if attempt or shared.limiter.interval:
            ledger.flush()  # about to wait: no claim of ours will carry the queued "sent" soon
        if attempt and shared.stop.wait(_backoff(attempt - 1, options.retry_delay)):
            return Outcome.DEFERRED, f"stopped while waiting to retry ({last})"
        shared.limiter.wait(shared.stop)
        claimed = False

        def commit() -> bool:
            nonlocal claimed
            claimed = ledger.claim(recipient)
            return claimed

        try:
            reply = transport.send(shared.sender(recipient), recipient.email, data, commit)
        except ConnectFailure as e:
            last = str(e)
            continue
        except TemporaryFailure as e:
            unreachable = False
            if claimed:  # a 4xx after the dot: the server does not have it
                ledger.release(recipient)
            last = str(e)
            continue
        except PermanentFailure as e:
            if claimed:  # refused after the dot: the server does not have it
                ledger.release(recipient)
            _refused(shared, Refusal(recipient, e.reply, e.bounce))
            return None
        except Uncertain as e:
            ledger.record(recipient, SendState.UNCERTAIN, str(e))
            return Outcome.UNCERTAIN, str(e)
        except Declined:
            return Outcome.SKIPPED, "already claimed"
        ledger.record_sent(recipient, reply)
        return Outcome.SENT, reply
    if unreachable:
        raise Unreachable(last)
    return Outcome.DEFERRED, last


def _refused(shared: _Shared, refusal: Refusal) -> None:
    """A 5xx for one recipient: held by the breaker, recorded when it lets it through."""
    _record_refusals(shared, shared.breaker.refused(refusal))
    if shared.breaker.tripped:
        raise SmtpError(shared.breaker.tripped)  # stops every worker, like an unusable server


def _record_refusals(shared: _Shared, refusals: list[Refusal]) -> None:
    """Record refusals as failed (so no run retries them), bouncing the bad addresses."""
    ledger, on_bounce = shared.ledger, shared.options.on_bounce
    for refusal in refusals:
        recipient = refusal.recipient
        if not ledger.claim(recipient):  # unsubscribed or erased meanwhile: nothing to record
            _tally(shared, recipient, Outcome.SKIPPED, "no longer active")
            continue
        ledger.record(recipient, SendState.FAILED, refusal.reply)
        if refusal.bounce and on_bounce is not None:
            on_bounce(recipient, refusal.reply)
        _tally(shared, recipient, Outcome.FAILED, refusal.reply)


def _worker(shared: _Shared, jobs: queue.Queue, transport: Transport) -> None:
    try:
        while not shared.stop.is_set():
            try:
                recipient = jobs.get_nowait()
            except queue.Empty:
                shared.ledger.flush()  # nothing to claim next: write the queued "sent" now
                try:
                    recipient = jobs.get(timeout=0.1)
                except queue.Empty:
                    continue
            if recipient is None:
                return
            try:
                ended = _deliver_one(shared, transport, recipient)
            except Unreachable as e:
                # This worker's connection slot is gone (others may still have theirs). The
                # recipient has no log row, so it stays pending for the next run.
                _tally(shared, recipient, Outcome.DEFERRED, str(e))
                with shared.lock:
                    shared.unreachable = str(e)
                    shared.workers_lost += 1
                return
            if ended is None:
                continue  # a refusal the breaker holds
            _tally(shared, recipient, *ended)
            if ended[0] is not Outcome.SKIPPED:
                _record_refusals(shared, shared.breaker.other_outcome())
    except BaseException as e:  # an unusable server (SmtpError) or a bug: stop everyone, report it
        with shared.lock:
            shared.fatal = shared.fatal or e
        shared.stop.set()
    finally:
        with contextlib.suppress(Exception):
            transport.close()
        with contextlib.suppress(Exception):
            shared.ledger.flush()  # failing here leaves rows in_flight: uncertain, never resent


def _tally(shared: _Shared, recipient: Recipient, outcome: Outcome, detail: str) -> None:
    report = shared.report
    with shared.lock:
        if outcome is Outcome.SENT:
            report.sent += 1
        elif outcome is Outcome.FAILED:
            report.failed.append((recipient.email, detail))
        elif outcome is Outcome.DEFERRED:
            report.deferred.append((recipient.email, detail))
        elif outcome is Outcome.UNCERTAIN:
            report.uncertain.append(recipient.email)
        else:
            report.skipped += 1
    if shared.options.on_outcome is not None:
        shared.options.on_outcome(recipient, outcome, detail)


def deliver(
    template: MessageSource,
    recipients: Iterable[Recipient],
    *,
    ledger: Ledger,
    sender: str | Callable[[Recipient], str],
    transports: Callable[[], Transport],
    options: SendOptions,
    signer: DkimSigner | None = None,
    stop: threading.Event | None = None,
) -> SendReport:
    """Send `template` to each recipient once, over `options.concurrency` transports.

    A server that becomes unusable (login refused, unreachable, refusing everyone alike: see
    breaker.py) stops the run with `report.error` set. KeyboardInterrupt stops cleanly: messages
    in progress finish, the rest stay pending.
    """
    stop = stop or threading.Event()
    report = SendReport()
    breaker = RefusalBreaker(options.refusal_window, trip_when_fewer=options.short_runs_trip)
    limiter = RateLimiter(options.rate)
    envelope = sender if callable(sender) else lambda _, address=sender: address  # MAIL FROM per copy
    shared = _Shared(template, ledger, envelope, signer, options, limiter, stop, report, breaker)
    jobs: queue.Queue[Recipient | None] = queue.Queue(maxsize=options.concurrency * 8)
    workers = [
        threading.Thread(target=_worker, args=(shared, jobs, transports()), name=f"send-{n}", daemon=True)
        for n in range(options.concurrency)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    try:
        _feed(recipients, jobs, workers, stop)
    except KeyboardInterrupt:
        stop.set()
        _join(workers)
    finally:
        ledger.flush()
    _close_breaker(shared)
    report.seconds = time.perf_counter() - started
    report.stopped = stop.is_set()
    if isinstance(shared.fatal, DigestError):
        report.error = str(shared.fatal)
        report.fatal = shared.fatal
    elif shared.fatal is not None:
        raise shared.fatal  # a bug, not the server: let it show
    elif shared.workers_lost == len(workers):
        report.stopped = True
        report.error = shared.unreachable
    return report


def _close_breaker(shared: _Shared) -> None:
    """The refusals still held at the end: recorded, or (a run of nothing else) a reason to stop."""
    completed = not shared.stop.is_set() and shared.fatal is None
    _record_refusals(shared, shared.breaker.finish(completed=completed))
    if shared.breaker.tripped and shared.fatal is None:
        shared.fatal = SmtpError(shared.breaker.tripped)
        shared.stop.set()


def _feed(
    recipients: Iterable[Recipient],
    jobs: queue.Queue[Recipient | None],
    workers: list[threading.Thread],
    stop: threading.Event,
) -> None:
    """Stream the recipients to the workers, then one None each to end them; wait until they have."""
    for recipient in recipients:
        if not _put(jobs, recipient, workers, stop):
            break
    for _ in workers:
        _put(jobs, None, workers, stop)
    _join(workers)


def _put(
    jobs: queue.Queue[Recipient | None],
    item: Recipient | None,
    workers: list[threading.Thread],
    stop: threading.Event,
) -> bool:
    while not stop.is_set():
        if not any(w.is_alive() for w in workers):
            stop.set()  # every worker is gone: nobody left to send
            break
        try:
            jobs.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _join(workers: list[threading.Thread]) -> None:
    # join() with a timeout, so Ctrl-C reaches the main thread while it waits.
    for worker in workers:
        while worker.is_alive():
            worker.join(timeout=0.1)
