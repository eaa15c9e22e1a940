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
from digest.feedback.act import FeedbackReport, SoftBouncePolicy, act_on_feedback
from digest.feedback.classify import classify
from digest.feedback.mailbox import FeedbackSource
from digest.store import Store
from digest.store.feedback_log import ProcessedMessages

FetchReport = FeedbackReport
"""What a fetch found and did (the report webhooks share)."""


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
        policy = SoftBouncePolicy(options.soft_bounce_limit, options.soft_bounce_days)
        act_on_feedback(found, store, report, key=message.key, now=now or utc_now(), policy=policy)
        processed.record(message.key, source=options.source_name, kind=str(found.kind), now=now or utc_now())
        source.done(message)
    return report
