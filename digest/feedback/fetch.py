"""`digest feedback fetch`: read the feedback mailbox, classify each new message, act on it.

    source.messages() → seen before (processed table)? → classify → hard / soft / complaint /
    unsubscribe about a subscriber: the suppression list records it (store/suppression.py) →
    the message is remembered as processed → the source is told (moved, flagged).

What a classified message does is feedback/act.py's (shared with the provider webhooks): who it
is about, and why a policy block never suppresses anyone. A reply, an auto-reply or anything
else that is not feedback goes to `options.forward` when there is one (forward.py builds it):
once, since the message is then remembered as processed; a forward that fails leaves the message
unprocessed, for the next fetch. A dry run classifies and reports, and changes nothing: not the
store, not the mailbox, nobody forwarded to.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from digest.clock import utc_now
from digest.feedback.act import DEFAULT_SOFT_BOUNCES, FeedbackReport, SoftBouncePolicy, act_and_remember
from digest.feedback.classify import classify
from digest.feedback.forward import FORWARDED
from digest.feedback.mailbox import FeedbackSource
from digest.feedback.model import Feedback
from digest.store import Store
from digest.store.feedback_log import ProcessedMessages


@dataclass(frozen=True, slots=True)
class FetchOptions:
    source_name: str
    secret: bytes | None
    """Verifies return-path tokens; None: tokens are not believed, only addresses."""
    dry_run: bool = False
    policy: SoftBouncePolicy = DEFAULT_SOFT_BOUNCES
    forward: Callable[[bytes, Feedback], None] | None = None
    """Sends a message that is not feedback on ([feedback] forward_to); raises when it cannot."""


log = logging.getLogger("digest.feedback")


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
        if options.forward is not None and found.kind in FORWARDED:
            if not _forwarded(options, message.raw, found):
                report.forward_failed += 1
                continue
            report.forwarded += 1
        moment = now or utc_now()
        act_and_remember(
            found,
            store,
            report,
            key=message.key,
            source=options.source_name,
            now=moment,
            policy=options.policy,
            secret=options.secret,
        )
        source.done(message)
    return report


def _forwarded(options: FetchOptions, raw: bytes, found: Feedback) -> bool:
    assert options.forward is not None
    try:
        options.forward(raw, found)
    except Exception as error:  # the mail server, a message the forward cannot carry: next fetch
        log.warning("could not forward a %s message (the next fetch tries again): %s", found.kind, error)
        return False
    return True
