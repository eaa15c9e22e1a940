"""`digest feedback fetch`: read the feedback mailbox, classify each new message, act on it.

    source.messages() → seen before (processed table)? → classify → hard / soft / complaint /
    unsubscribe about a subscriber: the suppression list records it (store/suppression.py) →
    the message is remembered as processed → the source is told (moved, flagged).

Who a message is about: the return path's verified token (issue and subscriber) wins over any
address the text names, since a bounce may name a forwarded address. A policy block (5.7.x from a
blocklist) never suppresses anyone: it is counted and named, for the editors. Auto-replies and
ordinary replies are counted and left. A dry run classifies and reports, and changes nothing:
not the store, not the mailbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from digest.clock import utc_now
from digest.feedback.classify import classify
from digest.feedback.mailbox import ArrivedMessage, FeedbackSource
from digest.feedback.model import Feedback, FeedbackKind
from digest.store import Store
from digest.store.feedback_log import ProcessedMessages
from digest.store.subscribers import get_subscriber
from digest.store.suppression import Evidence, record_feedback

log = logging.getLogger("digest.feedback")

ACTED_ON = (FeedbackKind.HARD, FeedbackKind.SOFT, FeedbackKind.COMPLAINT, FeedbackKind.UNSUBSCRIBE)


@dataclass
class FetchReport:
    read: int = 0
    already_processed: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    """What the new messages were: hard, soft, complaint, unsubscribe, auto-reply, other."""
    recorded: Counter[str] = field(default_factory=Counter)
    """What the suppression list made of them: suppressed, soft bounce counted, …"""
    policy_blocks: list[str] = field(default_factory=list)
    """Refusals that are the sender's reputation (never suppressed): receiving domain and reason."""
    unattributed: int = 0
    """Bounces and complaints naming no address digest could find."""

    def summary(self) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.kinds.items())) or "none new"
        line = f"read {self.read} ({self.already_processed} processed before): {kinds}"
        if self.recorded:
            line += "; " + ", ".join(f"{count} {what}" for what, count in sorted(self.recorded.items()))
        if self.policy_blocks:
            line += f"; {len(self.policy_blocks)} policy blocks (not suppressed: tell the editors)"
        if self.unattributed:
            line += f"; {self.unattributed} about no known address"
        return line


@dataclass(frozen=True, slots=True)
class FetchOptions:
    source_name: str
    secret: bytes | None
    """Verifies return-path tokens; None: tokens are not believed, only addresses."""
    dry_run: bool = False
    soft_bounce_limit: int = 3
    soft_bounce_days: int = 30


def fetch_feedback(
    source: FeedbackSource, store: Store, options: FetchOptions, *, now: dt.datetime | None = None
) -> FetchReport:
    """Every new message of `source`, classified and acted on once (see the module's docstring)."""
    processed = ProcessedMessages(store)
    report = FetchReport()
    for message in source.messages():
        report.read += 1
        if processed.seen(message.key):
            report.already_processed += 1
            if not options.dry_run:
                source.done(message)  # processed, but the mailbox did not hear it (a crash between)
            continue
        found = classify(message.raw, secret=options.secret)
        report.kinds[str(found.kind)] += 1
        if options.dry_run:
            continue
        _act(found, message, store, options, report, now or utc_now())
        processed.record(message.key, source=options.source_name, kind=str(found.kind), now=now or utc_now())
        source.done(message)
    return report


def _act(
    found: Feedback,
    message: ArrivedMessage,
    store: Store,
    options: FetchOptions,
    report: FetchReport,
    now: dt.datetime,
) -> None:
    if found.kind not in ACTED_ON:
        return
    if found.policy_block:
        domain = (found.recipient or "").rpartition("@")[2] or "unknown domain"
        report.policy_blocks.append(f"{domain}: {found.status or ''} {found.reason}".strip())
        log.warning("policy block (not suppressed): %s", report.policy_blocks[-1])
        return
    address = _address(found, store)
    if address is None:
        report.unattributed += 1
        return
    evidence = Evidence(
        status_line=" ".join(part for part in (found.status, found.reason) if part)[:500],
        message_id=found.message_id or message.key,
        issue_id=found.issue_id,
        at=now,
    )
    outcome = record_feedback(
        store,
        address,
        str(found.kind),
        evidence,
        soft_bounce_limit=options.soft_bounce_limit,
        soft_bounce_days=options.soft_bounce_days,
    )
    report.recorded[str(outcome)] += 1


def _address(found: Feedback, store: Store) -> str | None:
    """The subscriber the message is about: the verified token's, else the address it names."""
    if found.subscriber_id is not None:
        subscriber = get_subscriber(store, found.subscriber_id)
        if subscriber is not None:
            return subscriber.email
    return found.recipient
