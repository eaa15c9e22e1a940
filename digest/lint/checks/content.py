"""What the law, the filters and the reader expect: subject, unsubscribe, postal address, a real text part."""

from __future__ import annotations

import re
from collections.abc import Iterator

from digest.lint.document import EmailDocument, describe, visible_text
from digest.lint.findings import Finding, Level
from digest.lint.registry import check
from digest.markup import fold_whitespace, text_content
from digest.render import untagged

MAX_SUBJECT = 60
# A text part much shorter than the HTML's text is a "view in browser" stub, which filters penalise.
MIN_TEXT_SHARE = 0.6
# Without the issue's settings: a short footer line with a number and at least two commas
# ("4 Quay Lane, Falmouth TR11 3HF, United Kingdom").
_ADDRESS_LIKE = re.compile(r"^(?=[^\n]*\d)(?:[^,]*,){2}[^\n]*$")
_ADDRESS_MAX = 200


@check("subject")
def subject(doc: EmailDocument) -> Iterator[Finding]:
    """A subject exists and fits a phone's inbox row (60 characters)."""
    value = doc.subject
    if value is None:
        title = doc.tree.find(".//title")
        value = title.text if title is not None else None
    value = fold_whitespace(value or "")
    if not value:
        yield Finding(
            Level.ERROR,
            "subject-missing",
            "no subject",
            "Subject header" if doc.headers else "<title>",
            "Set [issue] subject (or give the lead story a title).",
        )
    elif len(value) > MAX_SUBJECT:
        yield Finding(
            Level.WARNING,
            "subject-too-long",
            f"the subject has {len(value)} characters; phones cut it after about {MAX_SUBJECT}: {value!r}",
            "Subject header" if doc.headers else "<title>",
            f"Shorten [issue] subject to {MAX_SUBJECT} characters or fewer.",
        )


def _unsubscribe_links(doc: EmailDocument) -> list:
    return [
        a
        for a in doc.links
        if "unsubscribe" in (a.get("href") or "").lower() or "unsubscribe" in text_content(a).lower()
    ]


@check("unsubscribe")
def unsubscribe(doc: EmailDocument) -> Iterator[Finding]:
    """A visible unsubscribe link (CAN-SPAM, GDPR, and Gmail/Yahoo's bulk-sender rules)."""
    if not [a for a in _unsubscribe_links(doc) if doc.is_rendered(a)]:
        yield Finding(
            Level.ERROR,
            "unsubscribe-missing",
            "no visible unsubscribe link",
            "footer",
            "Link {{ links.unsubscribe }} in the footer with the word Unsubscribe.",
        )


@check("postal-address")
def postal_address(doc: EmailDocument) -> Iterator[Finding]:
    """The sender's postal address is in the email (CAN-SPAM requires it in commercial email)."""
    fix = "Set [newsletter] postal_address; the default footer shows it."
    text = doc.visible_body_text
    if doc.issue is not None:
        address = fold_whitespace(doc.issue.newsletter.postal_address)
        if address and address not in text:
            yield Finding(
                Level.ERROR, "address-missing", f"the postal address {address!r} is not shown", "footer", fix
            )
        if doc.text is not None and address and address not in fold_whitespace(doc.text):
            yield Finding(
                Level.ERROR,
                "address-missing-text",
                "the plain-text part lacks the postal address",
                "text part",
                fix,
            )
        return
    marked = doc.body.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' address ')]")
    if not marked and not any(_ADDRESS_LIKE.search(line) for line in _footer_lines(doc)):
        yield Finding(
            Level.ERROR,
            "address-missing",
            "no postal address found near the end of the email",
            "footer",
            fix + ' (Lint looks for class="address" or a line with a number and a comma in the footer.)',
        )


def _footer_lines(doc: EmailDocument) -> list[str]:
    """Short text after the last heading: where footers (and postal addresses) live."""
    headings = set(doc.headings)
    last = 0
    for index, run in enumerate(doc.text_runs):
        if run.element in headings or any(a in headings for a in run.element.iterancestors()):
            last = index
    return [run.text for run in doc.text_runs[last + 1 :] if len(run.text) <= _ADDRESS_MAX]


@check("text-part")
def text_part(doc: EmailDocument) -> Iterator[Finding]:
    """The plain-text part carries the same stories, links and unsubscribe as the HTML (not a stub)."""
    if doc.text is None:
        if doc.headers:
            yield Finding(
                Level.ERROR,
                "text-part-missing",
                "the message has no text/plain part",
                "MIME structure",
                "Send multipart/alternative with the rendered text part first.",
            )
        return
    text = fold_whitespace(doc.text).casefold()
    for link in doc.story_links:
        title = visible_text(text_content(link))
        if title and title.casefold() not in text:
            yield Finding(
                Level.ERROR,
                "text-part-story-missing",
                f"the story {title[:60]!r} is in the HTML but not in the plain-text part",
                describe(link),
                "Render the text part from the same issue (email.txt.j2 includes every story).",
            )
        href = link.get("href", "")
        if href and href.casefold() not in text and untagged(href).casefold() not in text:
            yield Finding(
                Level.ERROR,
                "text-part-link-missing",
                f"the link {href[:80]!r} is not in the plain-text part",
                describe(link),
                "Print each story's link (with the same tagging) in the text part.",
            )
    if _unsubscribe_links(doc) and "unsubscribe" not in text:
        yield Finding(
            Level.ERROR,
            "text-part-unsubscribe-missing",
            "the plain-text part has no unsubscribe link",
            "text part",
            "Print {{ links.unsubscribe }} in email.txt.j2's footer.",
        )
    html_length = len(doc.visible_body_text)
    if html_length and len(text) < MIN_TEXT_SHARE * html_length:
        yield Finding(
            Level.ERROR,
            "text-part-stub",
            f"the plain-text part has {len(text)} characters against {html_length} in the HTML",
            "text part",
            "Carry the whole issue in the text part; a 'view in browser' stub is scored as spam.",
        )
