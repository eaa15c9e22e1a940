"""Encode a rendered issue once; per recipient, splice in the few bytes that differ.

The issue is rendered with marker words where the name and the links go. Each part is cut at
the markers and the pieces are quoted-printable encoded once. QP allows a "soft" line break
(`=` CRLF) anywhere and decoders drop it, so every piece ends on a soft break and every
per-recipient value is encoded on its own lines: whatever its length, no line grows past 76
characters and the decoded text is exactly what a per-recipient render would give. A message
is then a join of pre-encoded bytes, plus a To, a Message-ID and a List-Unsubscribe header.
`build_message` (the EmailMessage path) is the reference; tests prove both parse the same.
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cached_property
from zoneinfo import ZoneInfo

from markupsafe import escape

from digest.clock import utc_now
from digest.deliver.message import (
    MESSAGE_POLICY,
    ONE_CLICK,
    build_message,
    configured_mailbox,
    from_header,
    header_text,
    list_id,
    list_unsubscribe_value,
    mailbox,
    message_ids,
    sender_domain,
)
from digest.deliver.return_path import unsubscribe_address
from digest.deliver.stuffing import BodyPieces, Spliced
from digest.errors import RenderError
from digest.model import RenderedIssue
from digest.words import greeting_name

CRLF = b"\r\n"
SOFT_BREAK = b"=\r\n"

# A compiled part: static pieces (bytes) alternating with the index of the value that goes there.
Field = int
NAME, UNSUBSCRIBE, VIEW_ONLINE, PREFERENCES = 0, 1, 2, 3
FIRST_LINK = 4
"""Tracked link n is field FIRST_LINK + n."""


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    """ASCII address, already validated."""
    name: str = ""
    """The whole name, for the To header."""
    subscriber_id: int = 0
    """0 for someone not on the list (a proof)."""
    first_name: str = ""
    """The subscriber's own first_name: the greeting's, where the first word of name is wrong."""

    @property
    def greeting(self) -> str:
        """How the greeting addresses them ("Hi Hiroshi,"); empty: the theme's no-name greeting."""
        return self.first_name or greeting_name(self.name)


@dataclass(frozen=True, slots=True)
class Markers:
    """Words the theme is rendered with where per-recipient values go. Random per issue, so no
    story can contain one; letters and digits only, so Jinja2, MJML and premailer pass them."""

    name: str
    unsubscribe: str
    view_online: str
    preferences: str
    link: str = "dgstlink"
    """The prefix of a tracked link's marker: `<link><n>z` is the recipient's n-th counted link."""

    @classmethod
    def new(cls) -> Markers:
        nonce = secrets.token_hex(8)
        return cls(
            name=f"dgst{nonce}name",
            unsubscribe=f"dgst{nonce}unsub",
            view_online=f"dgst{nonce}view",
            preferences=f"dgst{nonce}prefs",
            link=f"dgst{nonce}link",
        )

    def fields(self) -> dict[str, Field]:
        """Each marker and the index of the value that goes there (tracked links: see `field`)."""
        return {
            self.name: NAME,
            self.unsubscribe: UNSUBSCRIBE,
            self.view_online: VIEW_ONLINE,
            self.preferences: PREFERENCES,
        }

    def field(self, match: re.Match[str]) -> Field:
        """The value a marker found by `pattern` stands for: a field, or tracked link n."""
        if match.group(1) is not None:
            return FIRST_LINK + int(match.group(1))
        return self.fields()[match.group()]

    def pattern(self) -> re.Pattern[str]:
        words = "|".join(map(re.escape, self.fields()))
        return re.compile(f"{words}|{re.escape(self.link)}([0-9]+)z")


@dataclass(frozen=True, slots=True)
class RecipientValues:
    name: str
    unsubscribe_url: str
    view_online_url: str
    preferences_url: str
    """The subscriber's own preference page (digest/web/site/preferences.py)."""
    unsubscribe_token: str = ""
    """Tags List-Unsubscribe's mailto: address (return_path.unsubscribe_address); "": the plain one."""
    links: tuple[str, ...] = ()
    """With [tracking] clicks on: the recipient's counted link for each tracked link, by number."""

    def texts(self) -> tuple[str, ...]:
        """Every value by its field number: `each()`, then the tracked links."""
        return (*self.each(), *self.links)

    def each(self) -> tuple[str, str, str, str]:
        """The values in the order of the fields NAME, UNSUBSCRIBE, VIEW_ONLINE, PREFERENCES."""
        return (self.name, self.unsubscribe_url, self.view_online_url, self.preferences_url)


def qp(data: bytes) -> bytes:
    """Quoted-printable (C speed), CRLF line ends, lines of at most 76 characters."""
    # Callers pass text whose line ends are "\n" only (compile_part normalises them).
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).replace(b"\n", CRLF)


QP_LINE = 76


def _piece(encoded: bytes) -> bytes:
    """End a piece on a line boundary: a soft break unless it ends on a hard one already.

    The "=" of the soft break counts towards the 76 characters of a line, so a last line that
    is already full is cut once more first, never inside an "=XX" escape."""
    if not encoded or encoded.endswith(CRLF):
        return encoded
    start = encoded.rfind(CRLF) + 2 if CRLF in encoded else 0
    if len(encoded) - start < QP_LINE:
        return encoded + SOFT_BREAK
    cut = start + QP_LINE - 1
    while encoded[cut - 1 : cut] == b"=" or encoded[cut - 2 : cut - 1] == b"=":
        cut -= 1
    return encoded[:cut] + SOFT_BREAK + encoded[cut:] + SOFT_BREAK


def compile_part(text: str, markers: Markers) -> tuple[bytes | Field, ...]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces: list[bytes | Field] = []
    position = 0
    for match in markers.pattern().finditer(text):
        static = text[position : match.start()]
        if static:
            pieces.append(_piece(qp(static.encode("utf-8"))))
        pieces.append(markers.field(match))
        position = match.end()
    tail = text[position:]
    if not tail.endswith("\n"):
        tail += "\n"  # a part ends with a line break (as the email package writes it)
    pieces.append(qp(tail.encode("utf-8")))
    return tuple(pieces)


def header_line(name: str, value: str) -> bytes:
    """A header line as the email package writes it: parsed, RFC 2047-encoded where needed, folded.
    (Through a header object: the policy's fold of a plain string would not encode it.)"""
    return MESSAGE_POLICY.header_factory(name, value).fold(policy=MESSAGE_POLICY).encode("ascii")


def raw_header_line(name: str, value: str) -> bytes:
    """A header whose value is encoded and folded already (an address: see message.mailbox)."""
    return f"{name}: {value}".encode("ascii") + CRLF


_PART_HEADERS = (
    b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
)


def mime_frame(boundary: str, *, one_click: bool = True) -> tuple[bytes, bytes, bytes]:
    """What every copy has after its own headers, between the two parts, and at the end."""
    tail = b"".join(
        (
            header_line("List-Unsubscribe-Post", ONE_CLICK) if one_click else b"",
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'.encode(),
            f"--{boundary}\r\n".encode(),
            _PART_HEADERS % b"plain",
        )
    )
    between = f"\r\n--{boundary}\r\n".encode() + _PART_HEADERS % b"html"
    end = f"\r\n--{boundary}--\r\n".encode()
    return tail, between, end


@dataclass(frozen=True)
class MessageTemplate:
    """One issue, encoded once: `personalise(recipient)` is a join of bytes."""

    rendered: RenderedIssue
    """The issue as rendered without a name (for the Message-ID seed and the subject)."""
    rendered_named: RenderedIssue
    markers: Markers
    date: dt.datetime
    subject_prefix: str
    stable_ids: bool
    """Message-IDs derived from issue and address (a resend carries the same id); proofs get
    fresh ones, so a proof never hides the real issue in an inbox that has both."""
    head: bytes
    """From, Subject (prefix included), Date: the headers before To that every copy shares."""
    mid: bytes
    """Reply-To, List-Id, Feedback-ID: between Message-ID and List-Unsubscribe."""
    tail: bytes
    """List-Unsubscribe-Post, MIME-Version, Content-Type and the first part's headers."""
    named: tuple[tuple[bytes | Field, ...], tuple[bytes | Field, ...]]
    anonymous: tuple[tuple[bytes | Field, ...], tuple[bytes | Field, ...]]
    between: bytes
    """Boundary and headers between the text and the HTML part."""
    end: bytes
    values: Callable[[Recipient], RecipientValues]
    unsubscribe_mailto: str
    feedback: str = ""
    """The Feedback-ID every copy carries (in `mid`), "" for none."""

    def personalise(self, recipient: Recipient) -> Spliced:
        """The copy's bytes, carrying their dot-stuffed form too (stuffing.py: the SMTP client's)."""
        values = self.values(recipient)
        texts = values.texts()
        text_values = [_piece(qp(text.encode())) for text in texts]
        html_values = [_piece(qp(str(escape(text)).encode())) for text in texts]
        head = b"".join(
            (
                self.head,
                raw_header_line("To", mailbox(recipient.name, recipient.email)),
                b"Message-ID: ",
                self.message_id(recipient).encode("ascii"),
                CRLF,
                self.mid,
                b"List-Unsubscribe: ",
                list_unsubscribe_value(self.unsubscribe_targets(values)).encode("ascii"),
                CRLF,
                self.tail,
            )
        )
        variant = self._bodies if recipient.greeting else self._bodies_anonymous
        return variant.splice(head, text_values, html_values)

    @cached_property
    def _message_ids(self) -> Callable[[str], str]:
        return message_ids(self.rendered)

    @cached_property
    def _bodies(self) -> BodyPieces:
        return BodyPieces.of(self.named[0], self.between, self.named[1], self.end)

    @cached_property
    def _bodies_anonymous(self) -> BodyPieces:
        return BodyPieces.of(self.anonymous[0], self.between, self.anonymous[1], self.end)

    def static_runs(self) -> tuple[tuple[bytes, ...], ...]:
        """For each variant (with a name, without): the body's bytes every copy has, in order, as
        the runs a recipient's values cut them into (DKIM canonicalises them once: dkim_canon)."""
        body_start = self.tail[self.tail.index(b"\r\n\r\n") + 4 :]
        variants = []
        for text_part, html_part in (self.named, self.anonymous):
            runs, run = [], [body_start]
            for piece in (*text_part, self.between, *html_part, self.end):
                if isinstance(piece, bytes):
                    run.append(piece)
                elif run:
                    runs.append(b"".join(run))
                    run = []
            variants.append((*runs, b"".join(run)))
        return tuple(variants)

    def unsubscribe_targets(self, values: RecipientValues) -> tuple[str, str]:
        mailto = unsubscribe_address(self.unsubscribe_mailto, values.unsubscribe_token)
        return (values.unsubscribe_url, f"mailto:{mailto}?subject=unsubscribe")

    def message_id(self, recipient: Recipient) -> str:
        if self.stable_ids:
            return self._message_ids(recipient.email)
        return make_msgid("proof", domain=sender_domain(self.rendered.issue.newsletter.from_address))

    def rendered_for(self, recipient: Recipient) -> RenderedIssue:
        """The issue as this recipient sees it, as plain strings (for previews and the reference)."""
        source = self.rendered_named if recipient.greeting else self.rendered
        return fill_markers(source, self.markers, self.values(recipient))

    def reference_message(self, recipient: Recipient) -> EmailMessage:
        """The same message built the slow way, with EmailMessage: what `personalise` must equal."""
        values = self.values(recipient)
        return build_message(
            self.rendered_for(recipient),
            to=recipient.email,
            to_name=recipient.name,
            subject_prefix=self.subject_prefix,
            date=self.date,
            unsubscribe_urls=self.unsubscribe_targets(values),
            feedback=self.feedback,
        )


def fill_markers(source: RenderedIssue, markers: Markers, values: RecipientValues) -> RenderedIssue:
    """A render with markers, with one recipient's values put in (escaped in the HTML part)."""

    texts = values.texts()
    pattern = markers.pattern()

    def fill(text: str, escape_value: Callable[[str], str]) -> str:
        return pattern.sub(lambda match: escape_value(texts[markers.field(match)]), text)

    return replace(source, html=fill(source.html, lambda v: str(escape(v))), text=fill(source.text, str))


def build_template(
    named: RenderedIssue,
    anonymous: RenderedIssue,
    markers: Markers,
    values: Callable[[Recipient], RecipientValues],
    *,
    unsubscribe_mailto: str,
    date: dt.datetime | None = None,
    subject_prefix: str = "",
    stable_ids: bool = True,
    feedback: str = "",
) -> MessageTemplate:
    """Encode both renderings (with and without a name) of one issue, once."""
    issue = anonymous.issue
    newsletter = issue.newsletter
    for rendered in (named, anonymous):
        for part, label in ((rendered.text, "plain-text"), (rendered.html, "HTML")):
            if markers.unsubscribe not in part:
                raise RenderError(
                    f"the theme's {label} part has no unsubscribe link ({{{{ links.unsubscribe }}}})"
                )
    parts = [compile_part(r.text, markers) for r in (named, anonymous)]
    parts += [compile_part(r.html, markers) for r in (named, anonymous)]
    boundary = "=_digest_" + secrets.token_hex(12)  # "=_" never occurs in quoted-printable text

    address = parseaddr(newsletter.from_address)[1]
    when = date or utc_now().astimezone(ZoneInfo(newsletter.timezone))
    head = b"".join(
        (
            raw_header_line("From", from_header(newsletter)),
            header_line("Subject", header_text(f"{subject_prefix}{issue.subject}")),
            header_line("Date", format_datetime(when)),
        )
    )
    mid = raw_header_line("Reply-To", configured_mailbox(newsletter.reply_to)) if newsletter.reply_to else b""
    mid += raw_header_line("List-Id", list_id(address, newsletter.name))
    mid += header_line("Feedback-ID", header_text(feedback)) if feedback else b""
    tail, between, end = mime_frame(boundary)
    return MessageTemplate(
        rendered=anonymous,
        rendered_named=named,
        markers=markers,
        date=when,
        subject_prefix=subject_prefix,
        stable_ids=stable_ids,
        head=head,
        mid=mid,
        tail=tail,
        named=(parts[0], parts[2]),
        anonymous=(parts[1], parts[3]),
        between=between,
        end=end,
        values=values,
        unsubscribe_mailto=unsubscribe_mailto,
        feedback=feedback,
    )
