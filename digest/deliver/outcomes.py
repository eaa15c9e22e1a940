"""What a send is asked to do and what came of it: the options (`SendOptions`), each recipient's
outcome and the run's report (`SendReport`), and the rate limit one process keeps (`RateLimiter`)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from digest.deliver.splice import Recipient
from digest.errors import INCOMPLETE_EXIT, DigestError
from digest.settings import SmtpSettings

__all__ = ["INCOMPLETE_EXIT", "Outcome", "RateLimiter", "SendOptions", "SendReport"]


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
    """Messages per second over all of this process's connections; 0: as fast as the server takes them."""
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
    """Evenly spaced start times across one send's connections, all on one event loop (a one-slot
    token bucket); 0 means unlimited."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_slot = time.monotonic()

    def take(self) -> float:
        """Take the next start time: the seconds to wait for it (0: go now)."""
        if not self.interval:
            return 0.0
        now = time.monotonic()
        slot = max(now, self.next_slot)
        self.next_slot = slot + self.interval
        return slot - now
