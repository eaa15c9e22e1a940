"""Bounces without a delivery-status part: Postfix and qmail text, Exchange, Yahoo, Exim, Sendmail
and the rest. Mailman's detectors (flufl.bounce) find the addresses; the status code and the
text around the address say hard or soft (status.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from digest.feedback.parts import addresses_in, content_type, header, text_of
from digest.feedback.status import Verdict, judge, status_code

# Where a text bounce's own words end and the returned message begins.
_RETURNED_STARTS = re.compile(
    r"^\s*(-{2,}.*(original|copy|header|returned|attached|below|message)|received:|return-path:)", re.I | re.M
)
_SYSTEM_LOCAL_PARTS = re.compile(
    r"^(postmaster|mailer-daemon|abuse|support|help|noreply|no-reply|root)@", re.I
)
_SMTP_REPLY = re.compile(r"(?<!\d)([45])\d\d(?=[ -]|$)", re.MULTILINE)
_WINDOW_BEFORE, _WINDOW_AFTER = 300, 700
"""How much text around the address is its diagnostic (a line or two before, several after)."""


@dataclass(frozen=True, slots=True)
class TextBounce:
    recipients: tuple[str, ...]
    status: str | None
    verdict: Verdict
    diagnostic: str
    window: str
    """The text around the first address: what the verdict was read from."""


def detected_failures(message: Message) -> tuple[list[str], list[str]]:
    """flufl.bounce's (temporary, permanent) addresses, lowercased; none when its detectors fail."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector tripping over a strange message: it found nothing
        return [], []
    return _decoded(temporary), _decoded(permanent)


def _decoded(found: object) -> list[str]:
    addresses = [a.decode("ascii", "replace") if isinstance(a, bytes) else str(a) for a in found]  # type: ignore[attr-defined]
    return sorted({a.lower() for a in addresses if "@" in a})


def addresses_in_report(message: Message) -> list[str]:
    """Last resort, for a bounce from a mail system that no detector reads: the addresses in its
    own words (before the returned message), less its own and the mail systems' mailboxes."""
    text = bounce_text(message)
    found = _RETURNED_STARTS.search(text)
    own = set(
        addresses_in(" ".join(header(message, name) for name in ("From", "To", "Return-Path", "Sender")))
    )
    return [
        address
        for address in addresses_in(text[: found.start()] if found else text)
        if address not in own and not _SYSTEM_LOCAL_PARTS.match(address)
    ][:1]


def text_bounce(message: Message, recipients: list[str], *, temporary: bool) -> TextBounce:
    """Hard or soft for a bounce whose addresses are known, from the text around the first."""
    text = bounce_text(message)
    window = text
    if recipients:
        at = text.lower().find(recipients[0])
        if at >= 0:
            window = text[max(0, at - _WINDOW_BEFORE) : at + _WINDOW_AFTER]
    status = status_code(window) or status_code(text)
    reply = _SMTP_REPLY.search(window)
    permanent = not temporary and not (reply is not None and reply.group(1) == "4")
    if status and status.startswith("4"):
        permanent = False
    verdict = judge(status, window, permanent=permanent)
    return TextBounce(tuple(recipients), status, verdict, _diagnostic(window, status), window)


def bounce_text(message: Message) -> str:
    """The text the reporting server wrote: its text parts, not the returned message's."""
    pieces: list[str] = []
    _collect(message, pieces, depth=0)
    return "\n".join(pieces)


def _collect(part: Message, pieces: list[str], depth: int) -> None:
    kind = content_type(part)
    if depth > 8 or len(pieces) > 4 or kind.startswith("message/") or kind == "text/rfc822-headers":
        return
    try:
        children = part.get_payload() if part.is_multipart() else None
    except Exception:
        return
    if isinstance(children, list):
        for child in children:
            if isinstance(child, Message):
                _collect(child, pieces, depth + 1)
    elif kind.startswith("text/"):
        pieces.append(text_of(part))


def _diagnostic(window: str, status: str | None) -> str:
    """A line of the text to show as the reason: the one with the status code, else the first
    line that sounds like a reason."""
    lines = [" ".join(line.split()) for line in window.splitlines()]
    lines = [line for line in lines if line]
    if status:
        for line in lines:
            if status in line:
                return line[:200]
    for line in lines:
        if re.search(r"\b[45]\d\d\b|unknown|not exist|full|quota|reject|denied|invalid|fail", line, re.I):
            return line[:200]
    return lines[0][:200] if lines else ""
