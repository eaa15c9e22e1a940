"""A rendered issue as an RFC 5322 message: multipart/alternative, text then HTML, UTF-8."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo

from digest.markup import fold_whitespace
from digest.model import RenderedIssue

SEND_TIME = dt.time(8, 0)


def header_text(value: str) -> str:
    """Any header value we write: one line, never a CR or LF from story content."""
    return fold_whitespace(value.replace("\r", " ").replace("\n", " "))


def sender_domain(from_address: str) -> str:
    return parseaddr(from_address)[1].rpartition("@")[2] or "localhost"


def issue_message_id(rendered: RenderedIssue, recipient: str = "") -> str:
    """Stable per issue and recipient, so a rebuild or a resend carries the same id."""
    issue = rendered.issue
    seed = f"{issue.issue_id}\0{issue.subject}\0{recipient}".encode()
    token = hashlib.sha256(seed).hexdigest()[:20]
    return f"<{issue.issue_id}.{token}@{sender_domain(issue.newsletter.from_address)}>"


def build_message(
    rendered: RenderedIssue,
    *,
    to: str | None = None,
    subject_prefix: str = "",
    date: dt.datetime | None = None,
) -> EmailMessage:
    issue = rendered.issue
    newsletter = issue.newsletter
    message = EmailMessage(policy=SMTP)
    display, address = parseaddr(newsletter.from_address)
    message["From"] = Address(display_name=header_text(display or newsletter.name), addr_spec=address)
    message["To"] = header_text(to or address)
    message["Subject"] = header_text(f"{subject_prefix}{issue.subject}")
    when = date or dt.datetime.combine(issue.date, SEND_TIME, tzinfo=ZoneInfo(newsletter.timezone))
    message["Date"] = format_datetime(when)
    message["Message-ID"] = issue_message_id(rendered, to or "")
    if newsletter.reply_to:
        message["Reply-To"] = header_text(newsletter.reply_to)
    message["List-Id"] = f"{header_text(newsletter.name)} <{sender_domain(address)}>"
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
