"""Forwarding what is not feedback: an ordinary reply, an auto-reply or a challenge-response that
reached the feedback mailbox goes to `[feedback] forward_to`, attached whole (message/rfc822).

The original's headers travel inside the attachment, never as the forward's own: a reply's
Subject or From, whatever it holds (a line break and a "Bcc:", encoded words that decode to one),
becomes at most a one-line subject of printable characters. Sending is the caller's (the CLI
sends it through the configured SMTP server, as the editors' notices go).
"""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digest.clock import utc_now
from digest.deliver.message import MESSAGE_POLICY, header_text, sender_domain
from digest.feedback.classify import MAX_MESSAGE_BYTES
from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.parts import address_of, decoded_header, header

FORWARDED = (FeedbackKind.AUTO_REPLY, FeedbackKind.OTHER)
"""What is forwarded: whatever is not a bounce, a complaint or an unsubscribe (which are acted on)."""
MAX_SUBJECT = 150


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """Printable characters on one line, cut to `limit`: no header line of the forward can be forged."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:limit]


def forward_message(raw: bytes, found: Feedback, *, sender: str, to: str) -> EmailMessage:
    """`raw` attached whole to a new message from `sender` (the newsletter's address) to `to`."""
    original = email.message_from_bytes(raw[:MAX_MESSAGE_BYTES], policy=policy.compat32)
    subject = one_line(decoded_header(original, "Subject")) or "(no subject)"
    who = one_line(address_of(header(original, "From")) or "an unknown sender", 200)
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = header_text(f"Fwd: {subject}")
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain=sender_domain(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office answer to this either
    message.set_content(
        f"A message from {who} reached the feedback mailbox. It is not a bounce, a complaint or an\n"
        f"unsubscribe ({found.kind}: {one_line(found.reason, 200)}), so digest forwards it: the\n"
        "original is attached as it arrived.\n",
        charset="utf-8",
    )
    message.add_attachment(original)  # message/rfc822, its bytes as they came
    return message
