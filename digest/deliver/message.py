"""A rendered issue as an RFC 5322 message: multipart/alternative, text then HTML, UTF-8."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable
from email.charset import Charset
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr, quote
from zoneinfo import ZoneInfo

from digest.markup import fold_whitespace
from digest.model import Newsletter, RenderedIssue
from digest.words import name_slug

SEND_TIME = dt.time(8, 0)
ONE_CLICK = "List-Unsubscribe=One-Click"
"""RFC 8058: the List-Unsubscribe-Post value, and the body a one-click POST carries."""
# Raw headers (set_raw) keep their own folding: the SMTP policy would otherwise turn a long
# List-Unsubscribe URL into RFC 2047 encoded-words, which mail providers do not decode there, and
# would re-encode a display name word by word, leaving "<", "," and ":" bare between the words.
MESSAGE_POLICY = SMTP.clone(refold_source="none")
UTF8 = Charset("utf-8")
LONGEST_PHRASE = 900
"""A display name longer than this once encoded is folded over several encoded-words, so that
"Reply-To: " and it stay inside RFC 5322's 998 characters a line."""
FOLD_AT = 78 - len("Reply-To: ")
# RFC 5322 atext and spaces: a display name of only these is a phrase as it is.
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+")


def header_text(value: str) -> str:
    """Any header value we write: one line, never a CR or LF from story content."""
    return fold_whitespace(value.replace("\r", " ").replace("\n", " "))


def display_phrase(name: str) -> str:
    """A display name as one RFC 5322 phrase, whatever characters it holds: atoms as they are,
    other printable ASCII quoted (`"Smith, John"`), anything else one RFC 2047 encoded-word, so no
    "<", "," or ":" in a name is ever read as an address, a list or a group. Text that looks like
    an encoded-word is encoded too, or a reader would decode it."""
    name = header_text(name)
    if not name:
        return ""
    if not name.isascii() or "=?" in name:
        phrase = UTF8.header_encode(name)
    elif _ATOMS.fullmatch(name):
        phrase = name
    else:
        phrase = f'"{quote(name)}"'
    if len(phrase) > LONGEST_PHRASE:
        phrase = Header(name, UTF8).encode(linesep="\r\n")
    return phrase


def mailbox(name: str, address: str) -> str:
    """A From, To or Reply-To value: `phrase <address>`, the address on a line of its own when the
    two do not fit one. Set it raw (MESSAGE_POLICY): the email package would fold it again."""
    phrase = display_phrase(name)
    if not phrase:
        return address
    separator = " " if len(phrase) + len(address) < FOLD_AT else "\r\n "
    return f"{phrase}{separator}<{address}>"


def configured_mailbox(value: str, default_name: str = "") -> str:
    """A mailbox from the settings (`Name <address>`), its name encoded like a subscriber's."""
    display, address = parseaddr(value)
    return mailbox(display or default_name, address)


def from_header(newsletter: Newsletter) -> str:
    """The From header of everything the newsletter sends: the display name given in
    ``from_address``, else the newsletter's name."""
    return configured_mailbox(newsletter.from_address, newsletter.name)


@functools.lru_cache(maxsize=64)  # every copy's Message-ID asks; parseaddr costs ~10 us
def sender_domain(from_address: str) -> str:
    return parseaddr(from_address)[1].rpartition("@")[2] or "localhost"


def list_id(from_address: str, name: str) -> str:
    """RFC 2919: a label unique to this newsletter under the sender's domain."""
    return mailbox(name, f"{name_slug(name)}.{sender_domain(from_address)}")


def feedback_id(rendered: RenderedIssue, *, proof: bool = False) -> str:
    """Gmail's feedback loop header (campaign:customer:mail type:sender), here
    `<issue id>:<issue|proof>:<newsletter slug>:digest`: Postmaster Tools then reports spam rates
    per issue, and a proof's complaints apart from the subscribers'."""
    issue = rendered.issue
    return f"{issue.issue_id}:{'proof' if proof else 'issue'}:{name_slug(issue.newsletter.name)}:digest"


def issue_message_id(rendered: RenderedIssue, recipient: str = "") -> str:
    """Stable per issue and recipient, so a rebuild or a resend carries the same id."""
    return message_ids(rendered)(recipient)


def message_ids(rendered: RenderedIssue) -> Callable[[str], str]:
    """`issue_message_id` for one issue, its fixed parts worked out once (a send asks per copy)."""
    issue = rendered.issue
    issue_id, domain = issue.issue_id, sender_domain(issue.newsletter.from_address)
    seed = f"{issue_id}\0{issue.subject}\0".encode()

    def message_id(recipient: str = "") -> str:
        token = hashlib.sha256(seed + recipient.encode()).hexdigest()[:20]
        return f"<{issue_id}.{token}@{domain}>"

    return message_id


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
    feedback: str = "",
) -> EmailMessage:
    """The whole message through the standard library: the reference the fast path must equal.

    `to` is the recipient's address (it seeds the Message-ID), `to_name` their display name,
    `feedback` the Feedback-ID (`feedback_id`; none when empty).
    """
    issue = rendered.issue
    newsletter = issue.newsletter
    message = EmailMessage(policy=MESSAGE_POLICY)
    address = parseaddr(newsletter.from_address)[1]
    message.set_raw("From", from_header(newsletter))
    message.set_raw("To", mailbox(to_name, header_text(to or address)))
    message["Subject"] = header_text(f"{subject_prefix}{issue.subject}")
    when = date or dt.datetime.combine(issue.date, SEND_TIME, tzinfo=ZoneInfo(newsletter.timezone))
    message["Date"] = format_datetime(when)
    message["Message-ID"] = issue_message_id(rendered, to or "")
    if newsletter.reply_to:
        message.set_raw("Reply-To", configured_mailbox(newsletter.reply_to))
    message.set_raw("List-Id", list_id(address, newsletter.name))
    if feedback:
        message["Feedback-ID"] = header_text(feedback)
    if unsubscribe_urls:
        message.set_raw("List-Unsubscribe", list_unsubscribe_value(unsubscribe_urls))
        if any(url.startswith("https://") for url in unsubscribe_urls):
            message["List-Unsubscribe-Post"] = ONE_CLICK
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
