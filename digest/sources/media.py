"""Media RSS (media:content, media:thumbnail, media:group) read per entry, with captions and credits.

feedparser flattens Media RSS: every media:content of an entry lands in one list, and their
media:description and media:credit overwrite each other (and the entry's summary detail), so the
caption and credit of the image we pick are lost. This pass re-reads just the media elements with
lxml, keeping each element's own description and credit, inherited from its media:group or entry
as the Media RSS spec says. It is used only when it finds exactly as many entries as feedparser
did, so the two line up; otherwise the reader falls back to feedparser's flattened lists.
"""

from __future__ import annotations

from lxml import etree

from digest.sources.entries import MediaItem

MEDIA_NAMESPACES = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
ENTRY_TAGS = frozenset(
    {
        "item",  # RSS 0.9x, 2.0
        "{http://purl.org/rss/1.0/}item",
        "{http://my.netscape.com/rdf/simple/0.9/}item",
        "{http://www.w3.org/2005/Atom}entry",
        "{http://purl.org/atom/ns#}entry",
    }
)
_MEDIA_TAGS = tuple(f"{{{ns}}}{name}" for ns in MEDIA_NAMESPACES for name in ("content", "thumbnail"))


def _number(value: str | None) -> int:
    try:
        return max(0, int(float(value or 0)))
    except (ValueError, OverflowError):
        return 0


def _child_text(element: etree._Element, name: str) -> str | None:
    for ns in MEDIA_NAMESPACES:
        found = element.find(f"{{{ns}}}{name}")
        if found is not None:
            return "".join(found.itertext())
    return None


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
                thumbnail=etree.QName(element).localname == "thumbnail",
            )
        )
    return tuple(items)


def media_per_entry(body: bytes, encoding: str | None) -> list[tuple[MediaItem, ...]] | None:
    """Media items for each entry in document order, or None when the document will not parse."""
    if b"mrss" not in body and b"m\x00r\x00s\x00s" not in body:
        return None  # no Media RSS namespace at all: nothing to find, nothing to parse
    try:
        parser = etree.XMLParser(
            recover=True, resolve_entities=False, no_network=True, huge_tree=False, encoding=encoding
        )
    except LookupError:
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    return [_media_of(element) for element in root.iter(*ENTRY_TAGS)]
