"""RFC 3464 delivery status notifications: the structured way a bounce says what happened.

A `message/delivery-status` part holds a block of per-message fields, then one block per
recipient: Action (failed, delayed, delivered, relayed, expanded), Status (5.1.1),
Original-Recipient / Final-Recipient (`rfc822; a@b`) and Diagnostic-Code (`smtp; 550 ...`).
The email package parses the blocks as header lists; when it did not (a broken part), they are
parsed here from the text. The failed block wins over a delayed one, a delayed over the rest.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email import policy
from email.message import Message

from digest.feedback.parts import address_of, content_type, header, text_of, walk

STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ACTION_RANK = {"failed": 0, "error": 0, "delayed": 1}  # opensmtpd writes "error"


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    action: str
    recipient: str | None
    status: str
    diagnostic: str


def delivery_status(message: Message) -> list[RecipientStatus] | None:
    """The per-recipient blocks of the message's delivery-status part, most serious first; None
    when the message has no such part (not a DSN)."""
    for part in walk(message):
        if content_type(part) in STATUS_TYPES:
            blocks = [_recipient(block) for block in _blocks(part)]
            found = [b for b in blocks if b.recipient or b.status or b.action]
            return sorted(found, key=lambda b: _ACTION_RANK.get(b.action, 2))
    return None


def _blocks(part: Message) -> list[Message]:
    try:
        payload = part.get_payload()
    except Exception:
        payload = None
    if isinstance(payload, list) and payload:
        return [block for block in payload if isinstance(block, Message)]
    text = text_of(part).replace("\r\n", "\n")
    return [
        email.message_from_string(chunk.strip() + "\n", policy=policy.compat32)
        for chunk in text.split("\n\n")
    ]


def _recipient(block: Message) -> RecipientStatus:
    recipient = None
    for name in ("Original-Recipient", "Final-Recipient", "X-Actual-Recipient"):
        recipient = address_of(header(block, name))
        if recipient:
            break
    action = header(block, "Action").strip().lower().split(" ")[0]
    status = " ".join(header(block, "Status").split())
    diagnostic = " ".join(header(block, "Diagnostic-Code").split())
    # "Status: 5.0.0 (recipient reached disk quota)": the comment is a diagnostic too
    _, _, comment = status.partition(" ")
    return RecipientStatus(
        action=action,
        recipient=recipient,
        status=status.partition(" ")[0],
        diagnostic=f"{diagnostic} {comment}".strip(),
    )
