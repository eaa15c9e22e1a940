"""Send one prepared issue to many recipients: SMTP connections on one asyncio event loop.

Each connection is a task that takes the next recipient when it is free (the recipients are
read a page at a time: memory stays flat), personalises, signs and sends, retrying temporary
failures with backoff on a fresh connection when needed, and records every outcome in the
ledger. One thread runs them all: no lock handed over at every reply, which with a thread per
connection cost a third of a send's CPU. A "sent" is written with the next claim (one commit
per message instead of two); a connection flushes it itself before it waits for anything.
Stopping (Ctrl-C, or `stop.set()` from any thread) lets each connection finish the message it
is on, so the log stays exact. Permanent refusals go through the breaker (breaker.py), which
records them or, when they come in a row alike, stops the send instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from digest.deliver.breaker import Refusal, RefusalBreaker
from digest.deliver.claims import GroupClaims
from digest.deliver.dkim_signing import DkimSigner
from digest.deliver.event_loop import STOP_POLL, pause, run_on_own_loop
from digest.deliver.feeding import Jobs
from digest.deliver.ledger import Ledger, SendState
from digest.deliver.outcomes import INCOMPLETE_EXIT, Outcome, RateLimiter, SendOptions, SendReport
from digest.deliver.smtp import (
    ConnectFailure,
    Declined,
    PermanentFailure,
    SmtpError,
    TemporaryFailure,
    Uncertain,
)
from digest.deliver.splice import Recipient
from digest.deliver.throttle import (
    PARK_LIMIT,
    BackOff,
    HeldConnection,
    Parking,
    SendThrottle,
    recipient_domain,
)
from digest.deliver.transports import MessageSource, Transport
from digest.errors import DigestError

__all__ = ["INCOMPLETE_EXIT", "Outcome", "SendOptions", "SendReport", "deliver"]


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
    fatal: BaseException | None = None
    unreachable: str = ""
    connections_lost: int = 0
    throttle: SendThrottle | None = None
    parking: Parking = field(default_factory=Parking)
    halt: threading.Event = field(default_factory=threading.Event)
    """Set when the warm-up's allowance is used up: nobody more is handed to the connections."""
    claims: GroupClaims = field(init=False)

    def __post_init__(self) -> None:
        self.claims = GroupClaims(self.ledger)


def _backoff(attempt: int, base: float) -> float:
    # Exponential with jitter, so connections that failed together do not retry in lockstep.
    return base * (2**attempt) * random.uniform(0.5, 1.0)


async def _deliver_one(
    shared: _Shared, transport: Transport, recipient: Recipient, then: Recipient | None = None
) -> tuple[Outcome, str] | None:
    """How sending to one recipient ended; None when nothing is to be told yet: a refusal the
    breaker holds (see _refused), or a recipient parked until its domain's back-off ends.
    `then`: the connection's next recipient, whose envelope may go out with this message's end."""
    throttle, domain = shared.throttle, recipient_domain(recipient.email)
    if throttle is not None and (held := _held_back(shared, throttle, recipient, domain)):
        return None if held is _PARKED else held
    data = shared.template.personalise(recipient)
    if shared.signer is not None:
        data = shared.signer.sign(data)
    ledger, options = shared.ledger, shared.options
    last, unreachable = "", True
    waits = shared.limiter.interval or (throttle is not None and throttle.rated(domain))
    for attempt in range(options.retries + 1):
        if attempt or waits:
            ledger.flush()  # about to wait: no claim of ours will carry the queued "sent" soon
        if attempt and await pause(shared.stop, _backoff(attempt - 1, options.retry_delay)):
            return Outcome.DEFERRED, f"stopped while waiting to retry ({last})"
        await pause(shared.stop, shared.limiter.take())
        if throttle is not None:
            await pause(shared.stop, throttle.take_turn(domain))
        claimed = False

        async def commit() -> bool:
            nonlocal claimed
            claimed = await shared.claims.claim(recipient)
            return claimed

        try:
            following = (shared.sender(then), then.email) if then is not None else None
            reply = await transport.send(shared.sender(recipient), recipient.email, data, commit, following)
        except ConnectFailure as e:
            last = str(e)
            continue
        except TemporaryFailure as e:
            unreachable = False
            if claimed:  # a 4xx after the dot: the server does not have it
                ledger.release(recipient)
            last = str(e)
            if throttle is not None and (backoff := throttle.slow_down(domain, last)):
                return _wait_out(shared, recipient, backoff)  # the domain asked every sender to wait
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


_PARKED = (Outcome.DEFERRED, "parked")
"""`_held_back`'s word for a recipient parked until its domain's back-off ends (told later)."""


def _held_back(
    shared: _Shared, throttle: SendThrottle, recipient: Recipient, domain: str
) -> tuple[Outcome, str] | None:
    """Why the recipient is not sent to now (its domain is backed off, or the warm-up's allowance
    for today is used up: then nobody more is), else None, the message counted against the allowance."""
    backoff = throttle.backed_off(domain)
    if backoff is not None:
        return _wait_out(shared, recipient, backoff) or _PARKED
    over = throttle.count_warmup()
    if over:
        shared.halt.set()
        return Outcome.DEFERRED, over
    return None


def _wait_out(shared: _Shared, recipient: Recipient, backoff: BackOff) -> tuple[Outcome, str] | None:
    """Park the recipient for this run when the back-off ends soon enough (None); else deferred to
    the next run, with the reply that asked for it."""
    assert shared.throttle is not None  # only a throttled send has back-offs
    if backoff.until - shared.throttle.clock() <= PARK_LIMIT and not shared.halt.is_set():
        shared.parking.park(recipient, backoff)
        return None
    return Outcome.DEFERRED, backoff.reply


def _refused(shared: _Shared, refusal: Refusal) -> None:
    """A 5xx for one recipient: held by the breaker, recorded when it lets it through."""
    _record_refusals(shared, shared.breaker.refused(refusal))
    if shared.breaker.tripped:
        raise SmtpError(shared.breaker.tripped)  # stops every connection, like an unusable server


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


async def _connection(shared: _Shared, jobs: Jobs, transport: Transport) -> None:
    """One connection's part of the send: recipient after recipient until none is left."""
    held = HeldConnection(shared.throttle) if shared.throttle is not None else None
    ahead: list[Recipient] = []
    """The recipient taken early, its envelope sent with the last message's dot (see `_take_ahead`)."""
    try:
        if held is not None and held.limited and not await _hold(shared, held):
            return
        while not shared.stop.is_set():
            recipient = ahead.pop() if ahead else jobs.take_now()
            if recipient is None:
                shared.ledger.flush()  # nothing to claim next: write the queued "sent" now
                recipient = await jobs.next()
                if recipient is None:
                    return
            try:
                then = _take_ahead(shared, jobs, ahead)
                if not await _work_on(shared, transport, recipient, held, then):
                    return
            finally:
                jobs.done()  # after any parking: the list's end waits for what is still in hand
    except Exception as e:  # an unusable server (SmtpError) or a bug: stop everyone, report it
        shared.fatal = shared.fatal or e
        shared.stop.set()
    finally:
        _leave_ahead(shared, jobs, ahead)
        with contextlib.suppress(Exception):
            await transport.close()
        with contextlib.suppress(Exception):
            shared.ledger.flush()  # failing here leaves rows in_flight: uncertain, never resent
        if held is not None:
            with contextlib.suppress(Exception):
                held.free()


async def _hold(shared: _Shared, held: HeldConnection) -> bool:
    """A place among the relay's connections, waiting for one to come free; False when stopped first."""
    while not held.take():
        if await pause(shared.stop, STOP_POLL):
            return False
    return True


def _take_ahead(shared: _Shared, jobs: Jobs, ahead: list[Recipient]) -> Recipient | None:
    """The next recipient, when its envelope may go out with this message's end (RFC 2920 lets a
    message's content start a group): only when nothing could make it wait (no rate, no
    back-off, no warm-up count), since the server then waits in DATA for its message."""
    if shared.limiter.interval or shared.stop.is_set() or shared.halt.is_set():
        return None
    following = jobs.take_now()
    if following is None:
        return None
    ahead.append(following)
    throttle = shared.throttle
    at_once = throttle is None or throttle.at_once(recipient_domain(following.email))
    return following if at_once else None


def _leave_ahead(shared: _Shared, jobs: Jobs, ahead: list[Recipient]) -> None:
    """A connection that ends with a recipient taken early: it stays pending (no claim was made),
    told deferred when the connection ended alone (lost), as the list's rest goes to the others."""
    for left in ahead:
        if not shared.stop.is_set():
            _tally(shared, left, Outcome.DEFERRED, "not sent: its connection was lost")
        jobs.done()
    ahead.clear()


async def _work_on(
    shared: _Shared,
    transport: Transport,
    recipient: Recipient,
    held: HeldConnection | None,
    then: Recipient | None = None,
) -> bool:
    """Send to one recipient and tell how it ended; False when this connection is lost."""
    if held is not None:
        held.keep()
    try:
        ended = await _deliver_one(shared, transport, recipient, then)
    except Unreachable as e:
        # This connection's slot is gone (others may still have theirs). The recipient has no
        # log row, so it stays pending for the next run.
        _tally(shared, recipient, Outcome.DEFERRED, str(e))
        shared.unreachable = str(e)
        shared.connections_lost += 1
        return False
    if ended is None:
        return True  # a refusal the breaker holds, or a recipient parked: told later
    _tally(shared, recipient, *ended)
    if ended[0] is not Outcome.SKIPPED:
        _record_refusals(shared, shared.breaker.other_outcome())
    return True


def _tally(shared: _Shared, recipient: Recipient, outcome: Outcome, detail: str) -> None:
    report = shared.report
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
    throttle: SendThrottle | None = None,
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
    shared.throttle = throttle
    parking = shared.parking if throttle is not None else None
    clock = throttle.clock if throttle is not None else None
    jobs = Jobs(recipients, stop=stop, halt=shared.halt, parking=parking, clock=clock)
    started = time.perf_counter()
    try:
        run_on_own_loop(_send_all(shared, jobs, transports))
    except KeyboardInterrupt:
        stop.set()  # a second Ctrl-C while the connections finished their messages
    finally:
        ledger.flush()
    for recipient, reply in shared.parking.drain():  # the run ended before their back-off did
        _tally(shared, recipient, Outcome.DEFERRED, reply)
    _close_breaker(shared)
    report.seconds = time.perf_counter() - started
    report.stopped = stop.is_set()
    if isinstance(shared.fatal, DigestError):
        report.error = str(shared.fatal)
        report.fatal = shared.fatal
    elif shared.fatal is not None:
        raise shared.fatal  # a bug, not the server: let it show
    elif shared.connections_lost == options.concurrency:
        report.stopped = True
        report.error = shared.unreachable
    return report


async def _send_all(shared: _Shared, jobs: Jobs, transports: Callable[[], Transport]) -> None:
    connections = [transports() for _ in range(shared.options.concurrency)]
    together = asyncio.gather(*(_connection(shared, jobs, transport) for transport in connections))
    try:
        await asyncio.shield(together)
    except asyncio.CancelledError:
        # Ctrl-C (asyncio.run cancels this task): every connection finishes the message it is on.
        shared.stop.set()
        await together


def _close_breaker(shared: _Shared) -> None:
    """The refusals still held at the end: recorded, or (a run of nothing else) a reason to stop."""
    completed = not shared.stop.is_set() and shared.fatal is None
    _record_refusals(shared, shared.breaker.finish(completed=completed))
    if shared.breaker.tripped and shared.fatal is None:
        shared.fatal = SmtpError(shared.breaker.tripped)
        shared.stop.set()
