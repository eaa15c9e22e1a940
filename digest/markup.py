"""Untrusted text → safe HTML, and safe HTML → plain text.

Everything here treats its input as hostile: story bodies and feed summaries are written by
people we do not control, and end up in thousands of inboxes.
"""

from __future__ import annotations

import html
import re
import textwrap
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree
from lxml import html as lxml_html

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SUMMARY_TAGS = frozenset({"p", "a", "em", "strong", "br", "ul", "ol", "li"})
SUMMARY_ATTRIBUTES = {"a": {"href", "title"}}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

# What lxml.html's text_content() runs: every text node inside an element, in order.
_STRING_VALUE = etree.XPath("string()")
# C0 controls other than tab/newline are not allowed in XML (MJML) and mean nothing in email.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Invisible format characters that reorder or hide what a line shows ("Trojan Source",
# CVE-2021-42574): bidi embeddings, overrides and isolates, the LRM/RLM and Arabic letter marks,
# zero-width space, word joiner and invisible operators, the BOM, the Mongolian vowel separator.
_DISGUISE = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Zero-width (non-)joiners shape Indic and Arabic words and join emoji: kept between two visible
# characters, dropped where they can only hide (at an end, beside a space).
_LOOSE_JOINER = re.compile(r"(?<!\S)[\u200c\u200d]+|[\u200c\u200d]+(?!\S)")


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def strip_disguises(text: str) -> str:
    """Text without the invisible characters that can make a line read as something else."""
    return _LOOSE_JOINER.sub("", _DISGUISE.sub("", text))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # here: the list's own names (store/addresses.py) need none of it

    # Raw HTML in a story body is not Markdown we render: it is escaped, then the result sanitised.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def _absolute_links(base_url: str):
    def keep(element: str, attribute: str, value: str) -> str | None:
        if element == "a" and attribute == "href":
            absolute = urljoin(base_url, value.strip()) if base_url else value.strip()
            scheme = urlsplit(absolute).scheme.lower()
            return absolute if scheme in LINK_SCHEMES else None
        return value

    return keep


@lru_cache(maxsize=256)
def _summary_cleaner(base_url: str) -> nh3.Cleaner:
    """The summary allow-list as one nh3 cleaner per base URL (a feed's entries share theirs):
    nh3.clean built the allow-lists again on every call, half of its cost on a feed's summary."""
    return nh3.Cleaner(
        tags=set(SUMMARY_TAGS),
        attributes={k: set(v) for k, v in SUMMARY_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        link_rel=None,
        attribute_filter=_absolute_links(base_url),
        strip_comments=True,
    )


def sanitize_html(fragment: str, *, base_url: str = "") -> str:
    """Reduce HTML from anywhere to the summary allow-list; relative links resolved or dropped."""
    return _summary_cleaner(base_url).clean(strip_controls(fragment)).strip()


def markdown_to_html(source: str, *, base_url: str = "") -> str:
    """Render a story body (Markdown) to sanitised HTML."""
    return sanitize_html(_markdown().render(source), base_url=base_url)


def text_content(element: etree._Element) -> str:
    """The text inside ``element`` (not its tail), as lxml.html's ``text_content()`` gives it, for
    any element: lxml-stubs types the HTML parser's elements as plain XML ones, without it."""
    return str(_STRING_VALUE(element))


def fold_whitespace(text: str) -> str:
    """One line of what a reader sees: titles, names, subjects, labels. Whitespace runs become a
    space, control characters and disguising format characters go."""
    # str.split() splits at exactly what \s matches (str.isspace), at C speed; no disguising
    # character is ASCII, and printable ASCII has no control character either, so most lines
    # (a name, a title) skip both passes.
    if text.isascii():
        return " ".join((text if text.isprintable() else strip_controls(text)).split())
    return " ".join(strip_disguises(strip_controls(text)).split())


def plain_title(text: str) -> str:
    """A title from HTML (a feed) as one line of text: tags stripped, entities decoded, folded."""
    stripped = nh3.clean(text, tags=set(), strip_comments=True)
    return fold_whitespace(html.unescape(stripped))


def html_to_text(fragment: str) -> tuple[list[str], list[str]]:
    """Sanitised summary HTML → (paragraphs, links).

    Links become "text [n]" with the URL collected, so the plain-text part can list them. The
    input has already passed :func:`sanitize_html`, so only the allow-listed tags need handling.
    """
    if not fragment.strip():
        return [], []
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    paragraphs: list[str] = []
    links: list[str] = []
    loose = fold_whitespace(root.text or "")
    if loose:
        paragraphs.append(loose)
    for child in root:
        if child.tag in ("p", "ul", "ol"):
            paragraphs.extend(_block_paragraphs(child, links))
        else:
            # An item whose list was cut away is still a list line; other inline content outside
            # a paragraph becomes one.
            wrapper = lxml_html.Element("ul" if child.tag == "li" else "p")
            wrapper.append(child.__copy__())
            paragraphs.extend(_block_paragraphs(wrapper, links))
        tail = fold_whitespace(child.tail or "")
        if tail:
            paragraphs.append(tail)
    return paragraphs, links


def _inline_text(node: etree._Element, links: list[str]) -> str:
    # Source line breaks are just spaces; only <br> (as a NUL sentinel) breaks a line.
    parts = [node.text or ""]
    for child in node:
        if child.tag == "br":
            parts.append("\0")
        elif child.tag == "a":
            label = fold_whitespace(text_content(child))
            href = child.get("href", "")
            if href and href not in links:
                links.append(href)
            if href:
                label = f"{label} [{links.index(href) + 1}]"
            parts.append(label)
        elif child.tag in ("ul", "ol"):
            parts.append("\n")
        else:
            parts.append(_inline_text(child, links))
        parts.append(child.tail or "")
    return "".join(parts)


def _lines_of(node: etree._Element, links: list[str]) -> list[str]:
    return [fold_whitespace(line) for line in _inline_text(node, links).split("\0") if line.strip()]


def _list_lines(node: etree._Element, links: list[str], depth: int = 0) -> list[str]:
    # One block per list, one line per item (nested lists indented), so it reads as a list.
    lines: list[str] = []
    for number, item in enumerate(node.iterchildren("li"), start=1):
        mark = "- " if node.tag == "ul" else f"{number}. "
        indent = "  " * depth
        for n, line in enumerate(_lines_of(item, links) or [""]):
            lines.append(f"{indent}{mark if n == 0 else ' ' * len(mark)}{line}".rstrip())
        for child in item:
            if child.tag in ("ul", "ol"):
                lines.extend(_list_lines(child, links, depth + 1))
    return lines


def _block_paragraphs(node: etree._Element, links: list[str]) -> list[str]:
    """A paragraph or a list as paragraphs of text: its own lines, then the lists inside it."""
    if node.tag in ("ul", "ol"):
        lines = _list_lines(node, links)
        return ["\n".join(lines)] if lines else []
    text = "\n".join(_lines_of(node, links))
    paragraphs = [text] if text else []
    for child in node:
        if child.tag in ("ul", "ol"):
            paragraphs.extend(_block_paragraphs(child, links))
    return paragraphs


def summary_text(fragment: str) -> str:
    """Sanitised summary HTML as one line of plain text (for teasers and preheaders)."""
    if not fragment.strip():
        return ""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for block in root.iter("p", "li", "br"):  # "one.</p><p>Two" reads "one. Two", not "one.Two"
        block.tail = " " + (block.tail or "")
    return fold_whitespace(root.text_content())


_LIST_MARK = re.compile(r"^(\s*(?:- |\d+\. ))")


def wrap(text: str, width: int = 78, indent: str = "") -> str:
    """Wrap one paragraph; URLs and other long words are never broken.

    A line that starts with a list mark ("- ", "3. ") wraps under its text, not under the mark.
    """
    lines = []
    for line in text.split("\n"):
        mark = _LIST_MARK.match(line)
        hanging = indent + " " * len(mark.group(1)) if mark else indent
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                initial_indent=indent,
                subsequent_indent=hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [indent.rstrip()]
        )
    return "\n".join(lines)


def teaser(text: str, length: int = 160) -> str:
    """Cut plain text at a word boundary, with an ellipsis when anything was cut."""
    text = fold_whitespace(text)
    if len(text) <= length:
        return text
    cut = text[: length + 1].rsplit(" ", 1)[0] if " " in text[:length] else text[:length]
    return cut.rstrip(" ,;:.-–—") + "…"
