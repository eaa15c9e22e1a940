"""Which clicks a human made: every click on a tracked link waits in memory for its burst window,
then is judged with what its message did around it, and leaves as a `Click` to write.

A click is a machine's when it was a HEAD or a prefetch (decided at the request), came from a
known bot or scanner user agent (the crawler-user-agents list; an empty one too), fell in a burst
(its message opened `BURST_LINKS` links or more, or all of them if fewer, within
`[tracking] burst_seconds`), came with a click on the invisible honeypot link of its message
within that window (before or after it), or came within `[tracking] too_soon_seconds` of the
message's delivery. The honeypot's own click is written nowhere: it only poisons the others.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from crawleruseragents import is_crawler

from digest.deliver.click_tokens import ClickToken
from digest.render import LinkTracker
from digest.settings.tracking import TrackingSettings
from digest.store.clicks import Click

BURST_LINKS = 3
"""A message opening this many of its links (or all, if it has fewer) within the burst window is a scanner."""
REMEMBERED_PER_MESSAGE = 64
"""A message's recent clicks kept for judging: more within two burst windows is a machine anyway,
and the cap keeps a flood on one link from making each judgement slower."""


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """Known bots, crawlers and link scanners (the crawler-user-agents list), or no user agent at all."""
    return not user_agent.strip() or is_crawler(user_agent)


@dataclass(frozen=True, slots=True)
class Seen:
    """One request for a counted link, as it came."""

    token: ClickToken
    at: float
    """Seconds since the epoch."""
    request_reason: str = ""
    """"head" or "prefetch" when the request itself says it is no reader's; else ""."""
    user_agent: str = ""

    @property
    def message(self) -> tuple[str, str]:
        return (self.token.link.issue_id, self.token.clicker)


DeliveredAt = Callable[[str, str], float | None]
"""(issue id, clicker key) → when that message was delivered (epoch seconds), if known."""


class ClickJudge:
    """Not thread-safe: one flusher thread owns it."""

    def __init__(self, settings: TrackingSettings, delivered_at: DeliveredAt) -> None:
        self.settings = settings
        self.delivered_at = delivered_at
        self.waiting: deque[Seen] = deque()
        self.recent: dict[tuple[str, str], deque[Seen]] = defaultdict(
            lambda: deque(maxlen=REMEMBERED_PER_MESSAGE)
        )
        """Each message's clicks of the last two burst windows (honeypot included)."""

    def add(self, seen: Seen) -> None:
        self.waiting.append(seen)
        self.recent[seen.message].append(seen)

    def release(self, now: float, *, everything: bool = False) -> list[Click]:
        """The clicks whose burst window has passed (all of them with `everything`), judged."""
        window = self.settings.burst_seconds
        clicks = []
        while self.waiting and (everything or now - self.waiting[0].at >= window):
            seen = self.waiting.popleft()
            if seen.token.link.slot != LinkTracker.HONEYPOT:
                clicks.append(self.judge(seen))
        self._forget(now - 2 * window)
        return clicks

    def judge(self, seen: Seen) -> Click:
        reason = self.reason(seen)
        link = seen.token.link
        return Click(
            issue_id=link.issue_id,
            slot=link.slot,
            url=link.url,
            human=not reason,
            reason=reason,
            clicker=seen.token.clicker,
            subscriber_id=seen.token.subscriber_id if self.settings.individual else None,
            at=_stamp(seen.at),
        )

    def reason(self, seen: Seen) -> str:
        if seen.request_reason:
            return seen.request_reason
        if is_bot(seen.user_agent):
            return "scanner"
        window = self.settings.burst_seconds
        around = [other for other in self.recent[seen.message] if abs(other.at - seen.at) <= window]
        if any(other.token.link.slot == LinkTracker.HONEYPOT for other in around):
            return "honeypot"
        links = {other.token.link.number for other in around if other.token.link.slot != LinkTracker.OPEN}
        burst = max(2, min(BURST_LINKS, seen.token.link.total))
        if seen.token.link.slot != LinkTracker.OPEN and len(links) >= burst:
            return "burst"
        delivered = self.delivered_at(*seen.message)
        if delivered is not None and seen.at - delivered < self.settings.too_soon_seconds:
            return "too-soon"
        return ""

    def _forget(self, before: float) -> None:
        for message in [m for m, seen in self.recent.items() if seen[-1].at < before]:
            del self.recent[message]


def _stamp(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds")
