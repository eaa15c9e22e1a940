"""The throttles of a real send ([throttle] in digest.toml), applied at send time and shared through
the store (digest/store/throttles.py) by every process that sends, on any host.

Why the store and not an equal split of each limit among the workers: workers come and go (a
second host joins a send, one is killed, another starts), and a split fixed at the start would be
wrong as soon as they did; and one domain's rate must hold across two different sends too. A
token bucket in the store costs one small write per limited message, and none for limits not set.

A throttled worker waits; nobody is failed or skipped for a limit:
- a rate (per relay, per recipient domain): the worker takes the next slot and waits for it;
- connections to the relay: a worker holds a place, on a lease it renews, for as long as it sends;
- a domain that replied "slow down" (`is_slow_down`) is backed off for every process until its
  back-off ends: its recipients wait for it (in this run when it ends within `PARK_LIMIT`
  seconds, else in the next run), the others go on;
- the warm-up's daily allowance: the message over it is not sent, and the send stops there, saying
  so; the rest wait, pending, for tomorrow's run.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import os
import re
import socket
import threading
import time
from collections.abc import Callable

from digest.deliver.splice import Recipient
from digest.settings import ThrottleSettings
from digest.store import Store
from digest.store.throttles import (
    BackOff,
    back_off,
    back_offs,
    count_under,
    free_place,
    hold_place,
    renew_place,
    take_slot,
)

__all__ = [
    "PARK_LIMIT",
    "BackOff",
    "HeldConnection",
    "Parking",
    "SendThrottle",
    "is_slow_down",
    "recipient_domain",
]

PARK_LIMIT = 60.0
"""Seconds a run waits for a domain's back-off to end; a longer one leaves its recipients to the next run."""
LEASE = 60.0
"""Seconds a connection's place is held without renewal (a killed worker's comes free after it)."""
BACKOFFS_FRESH = 0.5
"""Seconds a process trusts the back-offs it read before reading them again."""

_RATE_WORDS = re.compile(r"rate|too many|too fast|slow down|volume|throttl", re.IGNORECASE)


def is_slow_down(reply: str) -> bool:
    """A reply that asks the sender to slow down: 421 (but not a system or connection problem,
    4.3.x / 4.4.x), 451 4.7.x, or 450 4.2.x about a rate. Greylisting (often 451 4.7.1) is about
    one sender and recipient, not the domain's load: not a slow-down."""
    code, _, text = reply.partition(" ")
    if "greylist" in text.lower():
        return False
    if code == "421":
        return not text.startswith(("4.3.", "4.4."))
    if code == "451":
        return text.startswith("4.7.")
    return code == "450" and text.startswith("4.2.") and bool(_RATE_WORDS.search(text))


def recipient_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


class SendThrottle:
    """One send's throttles, for all its worker threads (thread-safe: the store serialises)."""

    def __init__(
        self,
        store: Store,
        settings: ThrottleSettings,
        *,
        relay: str,
        sending_domain: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.relay = relay
        self.sending_domain = sending_domain.lower()
        self.clock = clock
        """Unix seconds, as every host's processes read them (keep the hosts' clocks in time)."""
        self._holder = f"{socket.gethostname()}:{os.getpid()}"
        self._connections = itertools.count()
        self._lock = threading.Lock()
        self._backoffs: dict[str, BackOff] = {}
        self._backoffs_read = -BACKOFFS_FRESH

    # --- connections ---------------------------------------------------------------------------

    def hold_connection(self, holder: str) -> int | None:
        """A place among [throttle.relay] connections for `holder` (one connection of this
        process), if one is free now; None when all are held (or no limit is set)."""
        limit = self.settings.relay.connections
        if not limit:
            return None
        return hold_place(self.store, f"relay:{self.relay}", limit, holder, now=self.clock(), lease=LEASE)

    def renew_connection(self, place: int | None, holder: str) -> None:
        if place is not None:
            renew_place(self.store, f"relay:{self.relay}", place, holder, until=self.clock() + LEASE)

    def free_connection(self, place: int | None, holder: str) -> None:
        if place is not None:
            free_place(self.store, f"relay:{self.relay}", place, holder)

    def connection_holder(self) -> str:
        """A name for one connection of this process, unique among every host's."""
        return f"{self._holder}:{next(self._connections)}"

    # --- rates, back-offs, the warm-up ---------------------------------------------------------

    def take_turn(self, domain: str) -> float:
        """Seconds to wait before one more message, as the relay's and the domain's rates allow
        (the slot is taken: the caller waits, then sends)."""
        turn = 0.0
        for bucket, rate in ((f"relay:{self.relay}", self.settings.relay.rate),
                             (f"domain:{domain}", self.settings.for_domain(domain).rate)):  # fmt: skip
            if rate > 0:
                turn = max(turn, take_slot(self.store, bucket, 1.0 / rate, self.clock()))
        return max(0.0, turn - self.clock()) if turn else 0.0

    def rated(self, domain: str) -> bool:
        """Whether a rate limits messages to `domain` (the worker may wait for its turn)."""
        return self.settings.relay.rate > 0 or self.settings.for_domain(domain).rate > 0

    def at_once(self, domain: str) -> bool:
        """Whether a message to `domain` may go without a wait or a count: no rate, no back-off,
        no warm-up (the pool then opens its transaction early: pool._take_ahead)."""
        return self.settings.warmup is None and not self.rated(domain) and self.backed_off(domain) is None

    def backed_off(self, domain: str) -> BackOff | None:
        """The domain's back-off, while it lasts (read from the store at most every BACKOFFS_FRESH s)."""
        now = self.clock()
        with self._lock:
            if now - self._backoffs_read >= BACKOFFS_FRESH:
                self._backoffs, self._backoffs_read = back_offs(self.store, now), now
            found = self._backoffs.get(domain)
        return found if found is not None and found.until > now else None

    def slow_down(self, domain: str, reply: str) -> BackOff | None:
        """After a temporary failure: when it asks to slow down, the domain's back-off, recorded
        for every process; None for any other reply."""
        if not is_slow_down(reply):
            return None
        until = self.clock() + self.settings.for_domain(domain).backoff
        back_off(self.store, domain, until, reply)
        with self._lock:
            self._backoffs[domain] = BackOff(domain, until, reply)
        return self._backoffs[domain]

    def count_warmup(self) -> str:
        """Count one message against today's warm-up allowance: "" when it may go, else why not."""
        warmup = self.settings.warmup
        if warmup is None:
            return ""
        today = dt.datetime.fromtimestamp(self.clock(), dt.UTC).date()
        allowance = warmup.allowance(today)
        bucket = f"warmup:{self.sending_domain}:{today.isoformat()}"
        if allowance is None or count_under(self.store, bucket, allowance):
            return ""
        return (
            f"the warm-up of {self.sending_domain} allows {allowance} messages today (day "
            f"{warmup.day(today)} of {warmup.days}, [throttle.warmup]): the rest wait for tomorrow's run"
        )


class Parking:
    """Recipients waiting, in this run, for their domain's back-off to end: soonest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[tuple[float, int, Recipient, str]] = []
        self._order = itertools.count()

    def park(self, recipient: Recipient, backoff: BackOff) -> None:
        with self._lock:
            heapq.heappush(self._waiting, (backoff.until, next(self._order), recipient, backoff.reply))

    def due(self, now: float) -> list[Recipient]:
        """The recipients whose back-off has ended, taken off the list."""
        with self._lock:
            ready = []
            while self._waiting and self._waiting[0][0] <= now:
                ready.append(heapq.heappop(self._waiting)[2])
            return ready

    def drain(self) -> list[tuple[Recipient, str]]:
        """Every recipient still waiting (the run ends first), with the reply that made it wait."""
        with self._lock:
            left, self._waiting = self._waiting, []
        return [(recipient, reply) for _, _, recipient, reply in sorted(left)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)


class HeldConnection:
    """A connection's place among the relay's connections ([throttle.relay] connections), renewed
    as it goes, freed at its end."""

    def __init__(self, throttle: SendThrottle) -> None:
        self.throttle = throttle
        self.holder = throttle.connection_holder()
        self.place: int | None = None
        self.renewed = throttle.clock()

    @property
    def limited(self) -> bool:
        return bool(self.throttle.settings.relay.connections)

    def take(self) -> bool:
        """Take a place if one is free now (True), as the limit's wait does every so often."""
        self.place = self.throttle.hold_connection(self.holder)
        self.renewed = self.throttle.clock()
        return self.place is not None

    def keep(self) -> None:
        if self.place is not None and self.throttle.clock() - self.renewed > LEASE / 3:
            self.throttle.renew_connection(self.place, self.holder)
            self.renewed = self.throttle.clock()

    def free(self) -> None:
        self.throttle.free_connection(self.place, self.holder)
        self.place = None
