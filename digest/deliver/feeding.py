"""The sending pool's recipients, handed to its connections one at a time as each comes free: the
list first (read a page at a time, so memory stays flat), then those parked for a domain's
back-off as it ends. Every connection runs on one event loop, so there is no queue and no lock:
a connection that is free takes the next recipient itself."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterable

from digest.deliver.splice import Recipient
from digest.deliver.throttle import Parking

PARKED_POLL = 0.05
"""Seconds between looks for a parked recipient whose back-off has ended."""


class Jobs:
    """One send's recipients, for its connections (on one event loop: not thread-safe)."""

    def __init__(
        self,
        recipients: Iterable[Recipient],
        *,
        stop: threading.Event,
        halt: threading.Event,
        parking: Parking | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._listed = iter(recipients)
        self._listed_left = True
        self.stop = stop
        self.halt = halt
        """Set when the warm-up's allowance is used up: nobody more is handed out."""
        self.parking = parking
        """Where a throttled send parks recipients until their domain's back-off ends (None: never)."""
        self.clock = clock
        self._due: deque[Recipient] = deque()
        self.in_hand = 0
        """Recipients handed out and not yet done with: any of them may still be parked."""

    def take_now(self) -> Recipient | None:
        """The list's next recipient, if there is one (never waits; a page read may take a moment)."""
        if not self._listed_left or self.stop.is_set() or self.halt.is_set():
            return None
        try:
            recipient = next(self._listed)
        except StopIteration:
            self._listed_left = False
            return None
        self.in_hand += 1
        return recipient

    async def next(self) -> Recipient | None:
        """The next recipient to send to; None when none is left (or the send stopped or halted).
        After the list, the parked ones as their back-offs end, until none is parked and nobody
        holds a recipient that could still be parked."""
        while not self.stop.is_set() and not self.halt.is_set():
            if (listed := self.take_now()) is not None:
                return listed
            if self.parking is None or self.clock is None:
                return None
            self._due.extend(self.parking.due(self.clock()))
            if self._due:
                self.in_hand += 1
                return self._due.popleft()
            if not self.parking and self.in_hand == 0:
                return None
            await asyncio.sleep(PARKED_POLL)
        return None

    def done(self) -> None:
        """A recipient handed out is done with: told, parked or left for the next run."""
        self.in_hand -= 1
