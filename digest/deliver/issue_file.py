"""issue.eml, the copy `digest build` writes and the archive keeps: `build_message(rendered)` (no
recipient), encoded the way a send encodes its copies (quoted-printable at C speed, headers by the
same policy) instead of through EmailMessage, which cost a quarter of a warm build.
tests/deliver/test_issue_file.py proves the two parse to the same message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo

from digest.deliver.message import (
    SEND_TIME,
    configured_mailbox,
    from_header,
    header_text,
    issue_message_id,
    list_id,
)
from digest.deliver.splice import header_line, mime_frame, qp, raw_header_line
from digest.model import RenderedIssue


def _part(text: str) -> bytes:
    """A part's body as the email package writes it: LF line ends, one at the end, then QP."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return qp((text if text.endswith("\n") else text + "\n").encode("utf-8"))


def issue_file_bytes(rendered: RenderedIssue) -> bytes:
    """The issue as one RFC 5322 message, addressed to the newsletter itself, as bytes."""
    issue = rendered.issue
    newsletter = issue.newsletter
    address = parseaddr(newsletter.from_address)[1]
    when = dt.datetime.combine(issue.date, SEND_TIME, tzinfo=ZoneInfo(newsletter.timezone))
    text, html = _part(rendered.text), _part(rendered.html)
    # The same content gives the same boundary, so a rebuild writes the same bytes ("=_" never
    # occurs in quoted-printable text, so no body line can be taken for it).
    boundary = "=_digest_" + hashlib.sha256(text + b"\0" + html).hexdigest()[:24]
    tail, between, end = mime_frame(boundary, one_click=False)
    return b"".join(
        (
            raw_header_line("From", from_header(newsletter)),
            raw_header_line("To", header_text(address)),
            header_line("Subject", header_text(issue.subject)),
            header_line("Date", format_datetime(when)),
            header_line("Message-ID", issue_message_id(rendered)),
            raw_header_line("Reply-To", configured_mailbox(newsletter.reply_to))
            if newsletter.reply_to
            else b"",
            raw_header_line("List-Id", list_id(address, newsletter.name)),
            tail,
            text,
            between,
            html,
            end,
        )
    )
