"""One lxml pass over an XML feed, before and beside feedparser.

Two jobs feedparser does not do for us:

- **Pruning.** A weekly run reads feeds that hold weeks or months of entries, most of them
  outside the issue's week. feedparser costs about a quarter of a millisecond per entry in pure
  Python; lxml reads the whole document in well under a millisecond. So when the document is
  well-formed, entries whose date (chosen as feedparser chooses it, parsed as the reader parses
  it) lies outside the window are removed here and only counted, and feedparser reads the rest.
  A document lxml cannot read strictly is left whole for feedparser's forgiving parser.
- **Media RSS per entry.** feedparser flattens media:content, media:thumbnail and media:group:
  every media element of an entry lands in one list, and their media:description and
  media:credit overwrite each other, so the caption and credit of the image we pick are lost.
  Here each element keeps its own, inherited from its media:group or entry as the spec says.
  The result is used only when it lines up with feedparser's entries one to one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import cast

from lxml import etree

from digest.gather.readers.entries import parse_date
from digest.gather.readers.media import MediaItem
from digest.gather.readers.summary import text_paragraphs
from digest.gather.readers.taken import Taken, take_from_item

MEDIA_NAMESPACES = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_03 = "{http://purl.org/atom/ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"
ENTRY_TAGS = (
    "item",  # RSS 0.9x, 2.0
    "{http://purl.org/rss/1.0/}item",
    "{http://my.netscape.com/rdf/simple/0.9/}item",
    f"{ATOM}entry",
    f"{ATOM_03}entry",
)
# Where feedparser finds an entry's published, updated and created dates, in the order the
# reader asks for them (digest/gather/readers/feed.py).
DATE_TAGS = (
    ("pubDate", f"{ATOM}published", f"{ATOM_03}issued", f"{DCTERMS}issued"),
    (f"{ATOM}updated", f"{ATOM_03}modified", f"{DC}date", f"{DCTERMS}modified"),
    (f"{ATOM_03}created", f"{DCTERMS}created"),
)
_MEDIA_TAGS = tuple(f"{{{ns}}}{name}" for ns in MEDIA_NAMESPACES for name in ("content", "thumbnail"))


def _parser(*, recover: bool, encoding: str | None) -> etree.XMLParser:
    parser = partial(
        etree.XMLParser, recover=recover, resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        return parser(encoding=encoding or None)
    except LookupError:  # an encoding name lxml does not know: let the document say
        return parser()


def _entry_date(entry: etree._Element) -> str | None:
    """The text of the entry's first date, by feedparser's precedence; None when it has none."""
    for tags in DATE_TAGS:
        for tag in tags:
            found = entry.find(tag)
            if found is not None and (found.text or "").strip():
                return found.text
    return None


class FeedTree:
    def __init__(self, root: etree._Element, *, strict: bool) -> None:
        self.root = root
        self.strict = strict
        """Parsed without recovery: safe to prune and hand to feedparser re-serialised."""

    @classmethod
    def parse(cls, body: bytes, encoding: str | None = None) -> FeedTree | None:
        """The document as a tree: strictly if it is well-formed, else as much as can be recovered."""
        for recover in (False, True):
            try:
                root = etree.fromstring(body, _parser(recover=recover, encoding=encoding))
            except (etree.XMLSyntaxError, ValueError):
                continue
            if root is not None:
                return cls(root, strict=not recover)
        return None

    def entries(self) -> list[etree._Element]:
        return list(self.root.iter(*ENTRY_TAGS))

    def strip_media(self) -> int:
        """Remove the entries' Media RSS elements (read here already); how many were removed."""
        removed = 0
        for entry in self.entries():
            for element in [e for e in entry if _namespace(e) in MEDIA_NAMESPACES]:
                entry.remove(element)
                removed += 1
        return removed

    def prune(self, outside: Callable[[dt.datetime | None], str]) -> Counter[str]:
        """Remove entries dated outside the window; count them by reason. Strict trees only."""
        removed: Counter[str] = Counter()
        if not self.strict:
            return removed
        for entry in self.entries():
            text = _entry_date(entry)
            reason = outside(parse_date(text)) if text is not None else ""
            if reason:
                removed[reason] += 1
                parent = entry.getparent()
                if parent is not None:
                    parent.remove(entry)  # its tail (whitespace) goes with it
        return removed

    def lighten(self) -> list[Taken]:
        """Take out of each RSS item what feedparser would read only to give it back as it is read
        here (see digest/gather/readers/taken.py); what was taken, one per entry. Strict trees only."""
        if not self.strict:
            return []
        return [take_from_item(entry) for entry in self.entries()]

    def serialize(self) -> bytes:
        return etree.tostring(self.root.getroottree(), encoding="utf-8", xml_declaration=True)

    def media_per_entry(self) -> list[EntryMedia]:
        return [EntryMedia(_media_of(entry), _entry_description(entry)) for entry in self.entries()]


@dataclass(frozen=True, slots=True)
class EntryMedia:
    items: tuple[MediaItem, ...]
    description_html: str
    """The entry's (or its media:group's) media:description as HTML: a YouTube upload's summary."""


def _entry_description(entry: etree._Element) -> str:
    groups = [c for c in entry if _namespace(c) in MEDIA_NAMESPACES and str(c.tag).endswith("}group")]
    for holder in (entry, *groups):
        found = _media_child(holder, "description")
        if found is not None:
            text = _all_text(found)
            return text if found.get("type") == "html" else text_paragraphs(text)
    return ""


def _namespace(element: etree._Element) -> str:
    """ "" for comments, processing instructions and (in a recovered tree) undeclared prefixes."""
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _number(value: str | None) -> int:
    try:
        return max(0, int(float(value or 0)))
    except (ValueError, OverflowError):
        return 0


_MEDIA_CHILD_TAGS = {
    name: tuple(f"{{{ns}}}{name}" for ns in MEDIA_NAMESPACES) for name in ("description", "credit", "title")
}


def _media_child(element: etree._Element, name: str) -> etree._Element | None:
    """The element's Media RSS child ``name``, in whichever namespace spelling the feed uses."""
    for tag in _MEDIA_CHILD_TAGS.get(name) or tuple(f"{{{ns}}}{name}" for ns in MEDIA_NAMESPACES):
        found = element.find(tag)
        if found is not None:
            return found
    return None


def _all_text(element: etree._Element) -> str:
    # lxml-stubs say itertext() may give bytes; a parsed tree's text is always str.
    return "".join(cast("Iterator[str]", element.itertext()))


def _child_text(element: etree._Element, name: str) -> str | None:
    found = _media_child(element, name)
    return _all_text(found) if found is not None else None


def _inherited(element: etree._Element, entry: etree._Element, name: str) -> str:
    """A media element's own child ``name``, else its group's, else the entry's."""
    node: etree._Element | None = element
    while node is not None:
        value = _child_text(node, name)
        if value is not None:
            return value
        if node is entry:
            break
        node = node.getparent()
    return ""


def _media_of(entry: etree._Element) -> tuple[MediaItem, ...]:
    items = []
    for element in entry.iter(*_MEDIA_TAGS):
        url = (element.get("url") or "").strip()
        if not url:
            continue
        duration = _number(element.get("duration"))
        items.append(
            MediaItem(
                url=url,
                medium=(element.get("medium") or "").strip().lower(),
                mime=(element.get("type") or "").strip().lower(),
                width=_number(element.get("width")),
                height=_number(element.get("height")),
                description=_inherited(element, entry, "description"),
                credit=_inherited(element, entry, "credit"),
                title=_inherited(element, entry, "title"),
                duration=duration or None,
                thumbnail=str(element.tag).endswith("}thumbnail"),
            )
        )
    return tuple(items)
