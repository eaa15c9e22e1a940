"""The refusal breaker: recipients refused in a row with one and the same permanent reply are the
server's problem or a policy's (relaying denied, a blocklist, a sending quota), not dead addresses.

A send's refusals are held, not recorded, while they come in a row alike. Another outcome (a
message sent, a deferral, another reply) lets them through: recorded as failed, bounced where the
reply says the address is bad. When `window` of them come in a row (the first `window` recipients,
or every one of a shorter run), the breaker trips: the send stops, nobody held is recorded or
marked bounced, and they stay pending for the next run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from digest.deliver.splice import Recipient

REFUSAL_WINDOW = 20
"""Refusals alike in a row that stop a send (0: never stop)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    recipient: Recipient
    reply: str
    bounce: bool
    """The reply says the address itself is bad (5.1.x): the subscriber has bounced."""

    @property
    def gist(self) -> str:
        """The reply without the recipient's address, which servers often quote."""
        text = self.reply.lower().replace(self.recipient.email.lower(), "")
        return " ".join(text.replace("<>", " ").split())


class RefusalBreaker:
    """Thread-safe: the sending workers report to one breaker."""

    def __init__(self, window: int = REFUSAL_WINDOW, *, trip_when_fewer: bool = True) -> None:
        self.window = window
        self.trip_when_fewer = trip_when_fewer
        """Trip at the end of a run that was nothing but one refusal, however short. Off when the
        server is known to take this issue (an earlier run delivered it): then the last few
        pending addresses may simply be bad."""
        self.tripped = ""
        """Why the send must stop ("" while it need not)."""
        self._lock = threading.Lock()
        self._held: list[Refusal] = []
        self._other_outcomes = False

    def refused(self, refusal: Refusal) -> list[Refusal]:
        """Hold a refusal; returns the refusals to record now (those it ends a row of)."""
        if self.window <= 0:
            return [refusal]
        with self._lock:
            if self.tripped:
                return []  # the server refuses everyone: nothing more is recorded
            if self._held and self._held[0].gist != refusal.gist:
                released, self._held = self._held, [refusal]
                self._other_outcomes = True
                return released
            self._held.append(refusal)
            if len(self._held) >= self.window:
                self.tripped = self._reason()
            return []

    def other_outcome(self) -> list[Refusal]:
        """A message sent, deferred or uncertain: the held refusals are the addresses' own."""
        with self._lock:
            self._other_outcomes = True
            released, self._held = self._held, []
            return released

    def finish(self, *, completed: bool) -> list[Refusal]:
        """The end of the run: the refusals still held, to record. A run that stopped early keeps
        them pending; a completed run that was only this one refusal trips the breaker."""
        with self._lock:
            held, self._held = self._held, []
            if self.tripped or not held or not completed:
                return []
            if not self._other_outcomes and self.trip_when_fewer:
                self._held = held
                self.tripped = self._reason()
                return []
            return held

    def _reason(self) -> str:
        count, first = len(self._held), self._held[0]
        which = f"{count} recipients in a row" if self._other_outcomes else f"the first {count} recipients"
        return (
            f"the server refused {which} alike ({first.reply}): that is the server or a policy, "
            "not bad addresses; nobody was marked bounced, and they stay to be sent"
        )
