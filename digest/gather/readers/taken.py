"""What FeedTree takes out of an RSS item before feedparser reads it, read here as feedparser would.

feedparser is most of gather's time, and it spends it element by element, a Python call for each
line of text. Three kinds of element cost it much and give a story little that lxml cannot give:

- **The full text** (content:encoded: WordPress sends every article whole), often most of a feed.
  A story's summary comes from the description when there is one, so the full text only matters
  for a picture found inside it. It is taken when the item has a description and no other summary
  or content element (each would change which one feedparser calls the summary).
- **The date** (pubDate), which feedparser parses with a dozen formats of its own; the reader parses
  it again anyway. It is taken when it is the item's only date and the reader can read it.
- **The guid**, which nothing reads, when the item's own link makes it no stand-in for one.

Anything in another shape stays for feedparser; tests/gather/test_full_text.py proves the stories
are those feedparser makes of the whole item.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from digest.gather.readers.entries import parse_date

ATOM_NAMESPACES = ("{http://www.w3.org/2005/Atom}", "{http://purl.org/atom/ns#}")
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
# Elements feedparser reads as an entry's summary or content, in any namespace.
_SUMMARY_OR_CONTENT = frozenset(
    {"description", "summary", "abstract", "content", "encoded", "body", "fullitem"}
)
# Elements feedparser reads as one of an entry's dates (it lowercases names), in any namespace.
_DATES = frozenset(
    {"pubdate", "published", "issued", "updated", "modified", "lastbuilddate", "created", "date", "valid"}
)


@dataclass(frozen=True, slots=True)
class Taken:
    full_text: str = ""
    """The content:encoded taken out, as feedparser gives it; "" when none was."""
    published: dt.datetime | None = None
    """The pubDate taken out, read; None when it stayed."""


NOTHING = Taken()


def take_from_item(entry: etree._Element) -> Taken:
    if not isinstance(entry.tag, str) or entry.tag.startswith(ATOM_NAMESPACES):
        return NOTHING
    _drop_guid(entry)
    return Taken(_take_full_text(entry), _take_date(entry))


def _local_name(element: etree._Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _plain_text(element: etree._Element) -> str | None:
    """The element's text, when it is text alone (no child elements, no attributes)."""
    return None if len(element) or element.attrib else (element.text or "")


def _as_feedparser_reads(text: str) -> str:
    """Stripped, with feedparser's repair of UTF-8 read as Latin-1 ("CafÃ©" becomes "Café"), which it
    applies to every text of a UTF-8 document (the re-serialised tree always is one)."""
    text = text.strip()
    try:
        return text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _drop_guid(entry: etree._Element) -> None:
    """feedparser takes a guid for the link only when there is no link before it."""
    links = [c for c in entry if _local_name(c) == "link"]
    if not links or any(c.tag != "link" or not (_plain_text(c) or "").strip() for c in links):
        return
    for guid in [c for c in entry if c.tag == "guid"]:
        entry.remove(guid)


def _take_full_text(entry: etree._Element) -> str:
    texts = [c for c in entry if _local_name(c) in _SUMMARY_OR_CONTENT]
    described = [c for c in texts if c.tag == "description" and (_plain_text(c) or "").strip()]
    full = [c for c in texts if c.tag == CONTENT_ENCODED]
    if len(texts) != 2 or len(described) != 1 or len(full) != 1:
        return ""
    text = _plain_text(full[0])  # markup as elements, or a type, gets feedparser's own reading
    if text is None:
        return ""
    entry.remove(full[0])
    return _as_feedparser_reads(text)


def _take_date(entry: etree._Element) -> dt.datetime | None:
    dates = [c for c in entry if _local_name(c) in _DATES]
    if len(dates) != 1 or dates[0].tag != "pubDate":
        return None
    text = _plain_text(dates[0])
    if text is None or not text.isascii():
        return None
    published = parse_date(text)
    if published is not None:
        entry.remove(dates[0])
    return published
