"""A rendered issue as an RFC 5322 message: multipart/alternative, text then HTML, UTF-8."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from zoneinfo import ZoneInfo

from digest.markup import fold_whitespace
from digest.model import Newsletter, RenderedIssue
from digest.words import name_slug

SEND_TIME = dt.time(8, 0)
ONE_CLICK = "List-Unsubscribe=One-Click"
"""RFC 8058: the List-Unsubscribe-Post value, and the body a one-click POST carries."""
# Raw headers (set_raw) keep their own folding: the SMTP policy would otherwise turn a long
# List-Unsubscribe URL into RFC 2047 encoded-words, which mail providers do not decode there.
MESSAGE_POLICY = SMTP.clone(refold_source="none")


def header_text(value: str) -> str:
    """Any header value we write: one line, never a CR or LF from story content."""
    return fold_whitespace(value.replace("\r", " ").replace("\n", " "))


def from_header(newsletter: Newsletter) -> Address:
    """The From header of everything the newsletter sends: the display name given in
    ``from_address``, else the newsletter's name. As an Address, the email package encodes the
    name as one phrase (quoted or RFC 2047) whatever characters it holds."""
    display, address = parseaddr(newsletter.from_address)
    return Address(display_name=header_text(display or newsletter.name), addr_spec=address)


def sender_domain(from_address: str) -> str:
    return parseaddr(from_address)[1].rpartition("@")[2] or "localhost"


def list_id(from_address: str, name: str) -> str:
    """RFC 2919: a label unique to this newsletter under the sender's domain."""
    return f"{header_text(name)} <{name_slug(name)}.{sender_domain(from_address)}>"


def issue_message_id(rendered: RenderedIssue, recipient: str = "") -> str:
    """Stable per issue and recipient, so a rebuild or a resend carries the same id."""
    issue = rendered.issue
    seed = f"{issue.issue_id}\0{issue.subject}\0{recipient}".encode()
    token = hashlib.sha256(seed).hexdigest()[:20]
    return f"<{issue.issue_id}.{token}@{sender_domain(issue.newsletter.from_address)}>"


def list_unsubscribe_value(urls: tuple[str, ...]) -> str:
    """RFC 2369: each URL in angle brackets, one per line (a URL is never folded inside)."""
    return ",\r\n ".join(f"<{header_text(url)}>" for url in urls)


def build_message(
    rendered: RenderedIssue,
    *,
    to: str | None = None,
    to_name: str = "",
    subject_prefix: str = "",
    date: dt.datetime | None = None,
    unsubscribe_urls: tuple[str, ...] = (),
) -> EmailMessage:
    """The whole message through the standard library: the reference the fast path must equal.

    `to` is the recipient's address (it seeds the Message-ID), `to_name` their display name.
    """
    issue = rendered.issue
    newsletter = issue.newsletter
    message = EmailMessage(policy=MESSAGE_POLICY)
    address = parseaddr(newsletter.from_address)[1]
    message["From"] = from_header(newsletter)
    recipient = header_text(to or address)
    message["To"] = formataddr((header_text(to_name), recipient)) if to_name else recipient
    message["Subject"] = header_text(f"{subject_prefix}{issue.subject}")
    when = date or dt.datetime.combine(issue.date, SEND_TIME, tzinfo=ZoneInfo(newsletter.timezone))
    message["Date"] = format_datetime(when)
    message["Message-ID"] = issue_message_id(rendered, to or "")
    if newsletter.reply_to:
        message["Reply-To"] = header_text(newsletter.reply_to)
    message["List-Id"] = list_id(address, newsletter.name)
    if unsubscribe_urls:
        message.set_raw("List-Unsubscribe", list_unsubscribe_value(unsubscribe_urls))
        if any(url.startswith("https://") for url in unsubscribe_urls):
            message["List-Unsubscribe-Post"] = ONE_CLICK
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
