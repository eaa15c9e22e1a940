"""One message that came back, classified: structure first, heuristics last.

1. A feedback report (RFC 5965 ARF) is a complaint.
2. A delivery status notification (RFC 3464) says recipient, action, status and diagnostic.
3. An auto-reply (Auto-Submitted, X-Autoreply, Precedence, the subject last) is never a bounce,
   unless it comes from a mail system and reads like one.
4. A message to the List-Unsubscribe mailto: address is an unsubscribe.
5. Any other bounce: flufl.bounce finds the addresses, status.py says hard or soft.

A return-path token (deliver/return_path.py) anywhere the message carries it (the address the
bounce came back to, the returned original's Return-Path) names the issue and subscriber, even
when the bounce names a forwarded address or none. Nothing raises: garbage is "other".
"""

from __future__ import annotations

import email
import re
from email import policy
from email.message import Message

from digest.deliver.return_path import ReturnPathId, read_return_path
from digest.feedback.arf import COMPLAINT_TYPES, feedback_report
from digest.feedback.autoreply import auto_reply_reason
from digest.feedback.dsn import RecipientStatus, delivery_status
from digest.feedback.fallback import addresses_in_report, detected_failures, text_bounce
from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.parts import decoded_header, header
from digest.feedback.status import Verdict, is_specific, judge, status_code
from digest.feedback.unsubscribe import unsubscribe_request

# A return-path token where an address has it ("+<token>@"); found from its "+" (a literal, so the
# scan is fast), then verified by deliver/return_path.py.
_TOKEN_ADDRESS = re.compile(rb"\+(\d{4}-w\d{2}\.[0-9a-f]{1,16}\.[a-z2-7]{16})@", re.IGNORECASE)
_DAEMON_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery|mail administrator|bounce|mdaemon", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|deliver(y|ing)? (status|failure|failed|has failed|notification|problem|report)|returned mail"
    r"|mail delivery|failure notice|non[- ]?deliver|could not be delivered|not delivered|returned to sender"
    r"|delayed mail|delivery delayed|mail (system )?error|delivery failure|^\s*bounced?\b|fehlgeschlagen"
    r"|unzustellbar",
    re.IGNORECASE,
)
MAX_TOKENS_TRIED = 8
MAX_MESSAGE_BYTES = 1024 * 1024
"""Read at most the first MiB: what the reporting server says is at the top; a bounce returning a
large attachment is not parsed whole (speed, and flat memory over a mailbox)."""


def classify(data: bytes, *, secret: bytes | None = None) -> Feedback:
    """`data` (an RFC 5322 message, or anything) as one Feedback; `secret` verifies return-path
    tokens (without it, issue_id and subscriber_id stay None)."""
    try:
        return _classify(data[:MAX_MESSAGE_BYTES], secret)
    except Exception as e:  # the last guard: no input may stop a mailbox from being read
        return Feedback(FeedbackKind.OTHER, reason=f"unreadable message ({type(e).__name__})")


def _classify(data: bytes, secret: bytes | None) -> Feedback:
    message = email.message_from_bytes(data, policy=policy.compat32)  # see parts.py: why not default
    ids = _return_path_ids(data, secret)
    found = _what_it_is(message, secret)
    return Feedback(
        kind=found.kind,
        recipient=found.recipient,
        status=found.status,
        reason=found.reason,
        issue_id=ids.issue_id if ids else None,
        subscriber_id=ids.subscriber_id if ids else found.subscriber_id,
        message_id=header(message, "Message-ID").strip() or None,
        policy_block=found.policy_block,
        recipients=found.recipients,
        unsubscribe_token=found.unsubscribe_token,
    )


def _what_it_is(message: Message, secret: bytes | None) -> Feedback:
    report = feedback_report(message)
    if report is not None:
        kind = FeedbackKind.COMPLAINT if report.feedback_type in COMPLAINT_TYPES else FeedbackKind.OTHER
        return Feedback(kind, report.recipient, reason=f"Feedback-Type: {report.feedback_type}")
    blocks = delivery_status(message)
    if blocks:
        return _from_dsn(message, blocks)
    bouncy = _looks_like_bounce(message)
    auto = auto_reply_reason(message)
    if auto and not bouncy:
        return Feedback(FeedbackKind.AUTO_REPLY, reason=auto)
    request = None if bouncy else unsubscribe_request(message, secret)
    if request is not None:
        found = (request.sender,) if request.sender else ()
        token = request.token if request.subscriber_id is None else None
        return Feedback(
            FeedbackKind.UNSUBSCRIBE, request.sender, reason=request.reason,
            subscriber_id=request.subscriber_id, recipients=found, unsubscribe_token=token,
        )  # fmt: skip
    temporary, permanent = detected_failures(message)
    if permanent or temporary or bouncy:
        addresses = permanent or temporary or addresses_in_report(message)
        bounce = text_bounce(message, addresses, temporary=not permanent)
        recipients = bounce.recipients
        return _bounce(recipients, bounce.status, bounce.verdict, bounce.diagnostic or "a bounce")
    if auto:
        return Feedback(FeedbackKind.AUTO_REPLY, reason=auto)
    return Feedback(FeedbackKind.OTHER, reason="neither a bounce, a complaint nor a request")


def _from_dsn(message: Message, blocks: list[RecipientStatus]) -> Feedback:
    first = blocks[0]
    recipients = tuple(b.recipient for b in blocks if b.recipient and b.action == first.action)
    if not recipients:  # a DSN that names nobody: the detectors may still read its text
        delayed, failed = detected_failures(message)
        recipients = tuple(failed or delayed)
    status = first.status if status_code(first.status) else status_code(first.diagnostic)
    reason = first.diagnostic or f"Action: {first.action or 'none'}, Status: {first.status or 'none'}"
    if first.action in ("delivered", "relayed", "expanded"):
        recipient = recipients[0] if recipients else None
        return Feedback(FeedbackKind.OTHER, recipient, status, f"Action: {first.action}")
    text = first.diagnostic
    if not is_specific(status, text):  # a bare 5.0.0: the human-readable part may say why
        text = f"{text}\n{text_bounce(message, list(recipients), temporary=False).window}"
    permanent = first.action != "delayed" and not (status or "").startswith("4")
    return _bounce(recipients, status, judge(status, text, permanent=permanent), reason)


def _bounce(recipients: tuple[str, ...], status: str | None, verdict: Verdict, reason: str) -> Feedback:
    kind = FeedbackKind.HARD if verdict.hard else FeedbackKind.SOFT
    recipient = recipients[0] if recipients else None
    return Feedback(kind, recipient, status, reason, policy_block=verdict.policy_block, recipients=recipients)


def _looks_like_bounce(message: Message) -> bool:
    sender = header(message, "From") + " " + header(message, "Return-Path")
    return bool(_DAEMON_FROM.search(sender) or _BOUNCE_SUBJECT.search(decoded_header(message, "Subject")))


def _return_path_ids(data: bytes, secret: bytes | None) -> ReturnPathId | None:
    """The first verifying return-path token in the message: the address the bounce came back to
    (To, Delivered-To, X-Original-To) comes first in its headers, the returned original later."""
    if secret is None:
        return None
    for count, found in enumerate(_TOKEN_ADDRESS.finditer(data)):
        if count >= MAX_TOKENS_TRIED:
            break
        ids = read_return_path(secret, f"bounces+{found.group(1).decode('ascii')}@return.path")
        if ids is not None:
            return ids
    return None
