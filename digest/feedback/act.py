"""Act on one classified `Feedback`: the one place a bounce, a complaint or an unsubscribe, from
the mailbox (fetch.py) or from a provider's webhook (digest/web/site/webhooks.py), reaches the
suppression list.

Who it is about: the return path's verified token (issue and subscriber) wins over any address
the text names, since a bounce may name a forwarded address. A policy block (5.7.x from a
blocklist, a provider's "blocked") never suppresses anyone: it is counted and named, for the
editors. Auto-replies and ordinary replies change nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from digest.deliver.preference_tokens import erasure_salt
from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.unsubscribe import unsubscribe_token_owner
from digest.store import Store
from digest.store.feedback_log import ProcessedMessages, record_policy_block
from digest.store.personal_data import was_erased
from digest.store.subscribers import find_subscriber, get_subscriber
from digest.store.suppression import Evidence, record_feedback

log = logging.getLogger("digest.feedback")

ACTED_ON = (FeedbackKind.HARD, FeedbackKind.SOFT, FeedbackKind.COMPLAINT, FeedbackKind.UNSUBSCRIBE)


@dataclass
class FeedbackReport:
    read: int = 0
    already_processed: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    """What the new messages were: hard, soft, complaint, unsubscribe, auto-reply, other."""
    recorded: Counter[str] = field(default_factory=Counter)
    """What the suppression list made of them: suppressed, soft bounce counted, …"""
    policy_blocks: list[str] = field(default_factory=list)
    """Refusals that are the sender's reputation (never suppressed): receiving domain and reason."""
    unattributed: int = 0
    """Bounces and complaints naming no address digest could find (or a token that did not verify)."""
    erased: int = 0
    """About addresses erased at their owner's request: dropped, so they are not stored again."""
    forwarded: int = 0
    """Replies and auto-replies forwarded to [feedback] forward_to."""
    forward_failed: int = 0
    """Those that could not be: left unprocessed, for the next fetch."""

    def summary(self) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.kinds.items())) or "none new"
        line = f"read {self.read} ({self.already_processed} processed before): {kinds}"
        if self.recorded:
            line += "; " + ", ".join(f"{count} {what}" for what, count in sorted(self.recorded.items()))
        if self.policy_blocks:
            line += f"; {len(self.policy_blocks)} policy blocks (not suppressed: tell the editors)"
        if self.unattributed:
            line += f"; {self.unattributed} about no known address"
        if self.erased:
            line += f"; {self.erased} about erased addresses (dropped)"
        if self.forwarded or self.forward_failed:
            line += f"; {self.forwarded} forwarded"
            line += (
                f" ({self.forward_failed} could not be: the next fetch tries again)"
                if self.forward_failed
                else ""
            )
        return line


@dataclass(frozen=True, slots=True)
class SoftBouncePolicy:
    limit: int = 3
    days: int = 30


DEFAULT_SOFT_BOUNCES = SoftBouncePolicy()


def act_on_feedback(
    found: Feedback,
    store: Store,
    report: FeedbackReport,
    *,
    key: str,
    now: dt.datetime,
    policy: SoftBouncePolicy = DEFAULT_SOFT_BOUNCES,
    secret: bytes | None = None,
) -> None:
    """Record `found` on the suppression list when it is about a subscriber (see the module's
    docstring); `key` names where it came from when it has no Message-ID (evidence); `secret`
    verifies a mailto: unsubscribe's token."""
    if found.kind not in ACTED_ON:
        return
    status_line = " ".join(part for part in (found.status, found.reason) if part)[:500]
    if found.policy_block:
        _policy_block(found, store, report, status_line, now)
        return
    address = _address(found, store, secret)
    if address is None:
        report.unattributed += 1
        return
    if secret is not None and was_erased(store, address, erasure_salt(secret)):
        # A late bounce or complaint about an erased address: recording it would store the
        # address again (suppression adds an unknown address). The hash already keeps it off.
        report.erased += 1
        return
    evidence = Evidence(
        status_line=status_line, message_id=found.message_id or key, issue_id=found.issue_id, at=now
    )
    outcome = record_feedback(
        store,
        address,
        str(found.kind),
        evidence,
        soft_bounce_limit=policy.limit,
        soft_bounce_days=policy.days,
    )
    report.recorded[str(outcome)] += 1


def act_and_remember(
    found: Feedback,
    store: Store,
    report: FeedbackReport,
    *,
    key: str,
    source: str,
    now: dt.datetime,
    policy: SoftBouncePolicy = DEFAULT_SOFT_BOUNCES,
    secret: bytes | None = None,
) -> None:
    """Count it, act on it, and remember `key` as processed (a fetch's message, a webhook's event)."""
    report.kinds[str(found.kind)] += 1
    act_on_feedback(found, store, report, key=key, now=now, policy=policy, secret=secret)
    ProcessedMessages(store).record(key, source=source, kind=str(found.kind), now=now)


def _policy_block(
    found: Feedback, store: Store, report: FeedbackReport, status_line: str, now: dt.datetime
) -> None:
    """Name it for the editors and keep it for the figures (issue, receiving domain); suppress nobody."""
    domain = (found.recipient or "").rpartition("@")[2] or "unknown domain"
    report.policy_blocks.append(f"{domain}: {status_line}".strip())
    log.warning("policy block (not suppressed): %s", report.policy_blocks[-1])
    subscriber = get_subscriber(store, found.subscriber_id) if found.subscriber_id is not None else None
    subscriber = subscriber or (find_subscriber(store, found.recipient) if found.recipient else None)
    if subscriber is not None:
        domain = subscriber.email.rpartition("@")[2]
    record_policy_block(
        store,
        subscriber_id=subscriber.id if subscriber else None,
        domain=domain,
        issue_id=found.issue_id,
        status_line=status_line,
        at=now,
    )


def _address(found: Feedback, store: Store, secret: bytes | None) -> str | None:
    """The subscriber the message is about: the verified token's, else the address it names. A
    mailto: unsubscribe's token must verify for the subscriber it names: a forged or altered
    one unsubscribes nobody (not even the sender)."""
    if found.subscriber_id is not None:
        subscriber = get_subscriber(store, found.subscriber_id)
        if subscriber is not None:
            return subscriber.email
    if found.kind is FeedbackKind.UNSUBSCRIBE and found.unsubscribe_token:
        return unsubscribe_token_owner(store, found.unsubscribe_token, secret)
    return found.recipient
