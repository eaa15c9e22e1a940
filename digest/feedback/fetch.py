"""`digest feedback fetch`: read the feedback mailbox, classify each new message, act on it.

    source.messages() → seen before (processed table)? → classify → hard / soft / complaint /
    unsubscribe about a subscriber: the suppression list records it (store/suppression.py) →
    the message is remembered as processed → the source is told (moved, flagged).

What a classified message does is feedback/act.py's (shared with the provider webhooks): who it
is about, and why a policy block never suppresses anyone. A dry run classifies and reports, and
changes nothing: not the store, not the mailbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from digest.clock import utc_now
from digest.feedback.act import DEFAULT_SOFT_BOUNCES, FeedbackReport, SoftBouncePolicy, act_and_remember
from digest.feedback.classify import classify
from digest.feedback.mailbox import FeedbackSource
from digest.store import Store
from digest.store.feedback_log import ProcessedMessages


@dataclass(frozen=True, slots=True)
class FetchOptions:
    source_name: str
    secret: bytes | None
    """Verifies return-path tokens; None: tokens are not believed, only addresses."""
    dry_run: bool = False
    policy: SoftBouncePolicy = DEFAULT_SOFT_BOUNCES


def fetch_feedback(
    source: FeedbackSource, store: Store, options: FetchOptions, *, now: dt.datetime | None = None
) -> FeedbackReport:
    """Every new message of `source`, classified and acted on once (see the module's docstring)."""
    processed = ProcessedMessages(store)
    report = FeedbackReport()
    for message in source.messages():
        report.read += 1
        if processed.seen(message.key):
            report.already_processed += 1
            if not options.dry_run:
                source.done(message)  # processed, but the mailbox did not hear it (a crash between)
            continue
        found = classify(message.raw, secret=options.secret)
        if options.dry_run:
            report.kinds[str(found.kind)] += 1
            continue
        moment = now or utc_now()
        act_and_remember(
            found,
            store,
            report,
            key=message.key,
            source=options.source_name,
            now=moment,
            policy=options.policy,
        )
        source.done(message)
    return report
