"""Complaints: RFC 5965 Abuse Reporting Format, as Yahoo, Outlook.com (JMRP), AOL, Fastmail and
others' feedback loops send them.

A `message/feedback-report` part says Feedback-Type (abuse, fraud, virus, other, not-spam) and
often Original-Rcpt-To; the complaining subscriber is that, else the To of the returned message
(`message/rfc822` or `text/rfc822-headers`). Feedback loops redact the address at times: then only
the return-path token (or nothing) names them.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email import policy
from email.message import Message

from digest.feedback.parts import address_of, content_type, header, param, text_of, walk

REPORT_TYPES = frozenset({"message/feedback-report"})
COMPLAINT_TYPES = frozenset({"abuse", "fraud", "virus", "other", "complaint"})
"""Feedback types that mean "this was unwanted"; "not-spam" and "auth-failure" are not complaints."""


@dataclass(frozen=True, slots=True)
class Report:
    feedback_type: str
    recipient: str | None
    returned: Message | None
    """The returned original (or its headers), where the return-path token may be found."""


def feedback_report(message: Message) -> Report | None:
    """The feedback report in `message`, or None when it is not an ARF report."""
    is_report = content_type(message) == "multipart/report" and param(message, "report-type") == (
        "feedback-report"
    )
    fields: Message | None = None
    returned: Message | None = None
    for part in walk(message):
        kind = content_type(part)
        if kind in REPORT_TYPES and fields is None:
            fields = _fields(part)
        elif kind in ("message/rfc822", "text/rfc822-headers") and returned is None:
            returned = _returned(part)
    if fields is None and not is_report:
        return _jmrp(returned)
    fields = fields or email.message_from_string("", policy=policy.compat32)
    recipient = address_of(header(fields, "Original-Rcpt-To")) or address_of(
        header(fields, "Removal-Recipient")
    )
    if recipient is None and returned is not None:
        recipient = address_of(header(returned, "To"))
    feedback_type = header(fields, "Feedback-Type").strip().lower() or "abuse"
    return Report(feedback_type, recipient, returned)


def _jmrp(returned: Message | None) -> Report | None:
    """Microsoft's JMRP: no feedback-report part, the returned message names its recipient in
    X-HmXmrOriginalRecipient."""
    if returned is None:
        return None
    recipient = address_of(header(returned, "X-HmXmrOriginalRecipient"))
    return Report("abuse", recipient, returned) if recipient else None


def _fields(part: Message) -> Message:
    try:
        payload = part.get_payload()
    except Exception:
        payload = None
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return email.message_from_string(text_of(part).lstrip(), policy=policy.compat32)


def _returned(part: Message) -> Message | None:
    try:
        payload = part.get_payload()
    except Exception:
        return None
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    text = text_of(part)
    return email.message_from_string(text.lstrip(), policy=policy.compat32) if text else None
