"""The sign-up form's abuse checks that need no database: rate limits and refused domains.

The rate limits are kept in this process's memory (a sliding hour per IP and per address): a
restart forgets them, and two `digest serve` processes count apart. That is enough for a form
that a person fills in once; the database's own rule (one confirmation an hour per pending
address, digest/store/signups.py) holds whatever the process does.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from pathlib import Path

from digest.errors import ConfigError

WINDOW = 3600.0
"""Seconds the rate limits count over."""


class RateLimits:
    """At most `limit` hits per key in WINDOW seconds (thread-safe; keys with no recent hit forgotten)."""

    def __init__(self, limit: int, clock=time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()
        self.next_sweep = 0.0

    def allow(self, key: str) -> bool:
        """Count a hit for `key`; False (not counted) when it is over the limit."""
        now = self.clock()
        with self.lock:
            if now >= self.next_sweep:  # memory stays bounded by the keys seen within the hour
                self._sweep(now)
            recent = self.hits[key]
            while recent and recent[0] <= now - WINDOW:
                recent.popleft()
            if len(recent) >= self.limit:
                return False
            recent.append(now)
            return True

    def _sweep(self, now: float) -> None:
        stale = [key for key, recent in self.hits.items() if not recent or recent[-1] <= now - WINDOW]
        for key in stale:
            del self.hits[key]
        self.next_sweep = now + WINDOW / 10


def disposable_domains(extra_file: Path | None, *, packaged: bool) -> frozenset[str]:
    """The disposable-email-domains package's list (when `packaged`) and the file's domains."""
    domains: set[str] = set()
    if packaged:
        from disposable_email_domains import blocklist  # the community-maintained list, ~10k domains

        domains |= blocklist
    if extra_file is not None:
        try:
            text = extra_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(
                f"[signup] disposable_domains_file: cannot read it: {e}", where=extra_file
            ) from None
        domains |= {line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"}
    return frozenset(domains)


def domain_refused(email: str, blocked: Iterable[str], disposable: frozenset[str]) -> bool:
    """Whether the address's domain (or a domain above it) is blocked or disposable."""
    domain = email.rpartition("@")[2].lower()
    labels = domain.split(".")
    suffixes = {".".join(labels[i:]) for i in range(len(labels))}
    return bool(suffixes & disposable) or any(suffix in suffixes for suffix in blocked)
