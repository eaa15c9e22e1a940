"""The email under inspection, parsed once, with the views every check shares.

An EmailDocument is built from strings (the HTML part, optionally the plain-text part, the
subject and headers of a message, and the composed Issue when linting an issue folder): checks
never read files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import cast

from lxml import etree
from lxml import html as lxml_html

from digest.lint import css
from digest.markup import fold_whitespace, strip_controls, text_content
from digest.model import Issue

HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_INVISIBLE = re.compile("[\u034f\u200b\u200c\u200d\u2060\ufeff\u00a0\\s]+")
_NOT_RENDERED = frozenset({"style", "script", "title", "head", "meta", "link"})
_DEFAULT_FONT_PX = {"h1": 32.0, "h2": 24.0, "h3": 18.72, "h4": 16.0, "h5": 13.28, "h6": 10.72}


@dataclass(frozen=True, slots=True)
class TextRun:
    """An element with text of its own, and how it is painted (inline styles resolved down the tree)."""

    element: etree._Element
    text: str
    color: css.RGB
    background: css.RGB
    font_px: float


def visible_text(text: str) -> str:
    """Text as a reader sees it: the invisible padding preheaders use removed, whitespace folded."""
    if not text or text.isspace():  # most runs between a page's tags: nothing to see, no regex needed
        return ""
    return fold_whitespace(_INVISIBLE.sub(" ", text))


def describe(element: etree._Element) -> str:
    """``line 212 <img src="https://…">``: enough to find the element in the file."""
    shown = []
    for name in ("class", "src", "href", "alt", "name", "content"):
        value = element.get(name)
        if value is not None:
            value = value if len(value) <= 70 else value[:67] + "…"
            shown.append(f'{name}="{value}"')
    attributes = (" " + " ".join(shown)) if shown else ""
    line = f"line {element.sourceline} " if element.sourceline else ""
    return f"{line}<{element.tag}{attributes}>"


class EmailDocument:
    def __init__(
        self,
        html: str,
        *,
        text: str | None = None,
        subject: str | None = None,
        headers: Mapping[str, str] | None = None,
        issue: Issue | None = None,
        source: str = "<html>",
    ) -> None:
        self.html = html
        self.text = text
        self.subject = subject
        self.headers = dict(headers or {})
        self.issue = issue
        self.source = source

    # --- the tree -------------------------------------------------------------------------------
    @cached_property
    def tree(self) -> etree._Element:
        # Control characters are not allowed in the tree; an empty document still gets checked.
        try:
            return lxml_html.document_fromstring(strip_controls(self.html))
        except (etree.ParserError, ValueError):
            return lxml_html.document_fromstring("<html><head></head><body></body></html>")

    @cached_property
    def body(self) -> etree._Element:
        body = self.tree.find("body")
        return body if body is not None else self.tree

    @cached_property
    def hidden(self) -> frozenset[etree._Element]:
        """Elements not shown to readers (display:none or inside one)."""
        found = set()
        for element in self.body.iter(etree.Element):
            style = inline_style(element)
            display = style.get("display")
            if display is not None and display.value.lower().startswith("none"):
                found.add(element)
                found.update(element.iterdescendants())
        return frozenset(found)

    def is_rendered(self, element: etree._Element) -> bool:
        return element not in self.hidden and element.tag not in _NOT_RENDERED

    # --- text ---------------------------------------------------------------------------------------
    @cached_property
    def text_runs(self) -> tuple[TextRun, ...]:
        runs: list[TextRun] = []

        def walk(element, color: css.RGB, background: css.RGB, font_px: float) -> None:
            if not isinstance(element.tag, str) or element in self.hidden or element.tag in _NOT_RENDERED:
                return
            style = inline_style(element)
            bgcolor = element.get("bgcolor")
            for value in (bgcolor, _value(style, "background"), _value(style, "background-color")):
                if value:
                    painted = css.parse_color(value)
                    if painted is not None and painted[3] > 0:
                        background = css.blend(painted, background)
            if element.tag in _DEFAULT_FONT_PX and "font-size" not in style:
                font_px = _DEFAULT_FONT_PX[element.tag]
            elif "font-size" in style:
                font_px = css.font_size_px(style["font-size"], font_px) or font_px
            if "color" in style and (parsed := css.parse_color(style["color"].value)) is not None:
                color = css.blend(parsed, background)
            elif element.tag == "a":
                color = css.LINK_DEFAULT
            own = [element.text or ""] + [child.tail or "" for child in element]
            text = visible_text(" ".join(own))
            if text:
                runs.append(TextRun(element, text, color, background, font_px))
            for child in element:
                walk(child, color, background, font_px)

        walk(self.body, css.BLACK, css.WHITE, 16.0)
        return tuple(runs)

    @cached_property
    def visible_body_text(self) -> str:
        return " ".join(run.text for run in self.text_runs)

    # --- structure ----------------------------------------------------------------------------------
    @cached_property
    def headings(self) -> tuple[etree._Element, ...]:
        return tuple(
            e for e in self.body.iter(*HEADING_TAGS) if self.is_rendered(e) and visible_text(text_content(e))
        )

    @cached_property
    def links(self) -> tuple[etree._Element, ...]:
        return tuple(self.body.iter("a"))

    @cached_property
    def story_links(self) -> tuple[etree._Element, ...]:
        """Links in headings: one per story block (lead h1, items h3) in the default theme's shape."""
        return tuple(a for heading in self.headings for a in heading.iter("a") if a.get("href"))

    @cached_property
    def preheaders(self) -> tuple[etree._Element, ...]:
        marked = self.body.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' preheader ')]")
        # A path that selects elements gives a list of them; lxml-stubs types every XPath result alike.
        return tuple(cast(list[etree._Element], marked))

    # --- CSS ----------------------------------------------------------------------------------------
    @cached_property
    def style_blocks(self) -> tuple[etree._Element, ...]:
        """Real <style> elements (those inside Outlook conditional comments are comments, not counted)."""
        return tuple(self.tree.iter("style"))

    @cached_property
    def style_characters(self) -> int:
        return sum(len(block.text or "") for block in self.style_blocks)

    @cached_property
    def css_rules(self) -> tuple[css.CssRule, ...]:
        return tuple(rule for block in self.style_blocks for rule in css.stylesheet(block.text or "")[0])

    @cached_property
    def css_at_rules(self) -> tuple[css.AtRule, ...]:
        return tuple(rule for block in self.style_blocks for rule in css.stylesheet(block.text or "")[1])

    def inline_styles(self) -> Iterator[tuple[etree._Element, dict[str, css.Declaration]]]:
        for element in self.tree.iter(etree.Element):
            if element.get("style"):
                yield element, inline_style(element)


def inline_style(element: etree._Element) -> dict[str, css.Declaration]:
    style = element.get("style")
    return css.inline_declarations(style) if style else {}


def _value(style: dict[str, css.Declaration], name: str) -> str | None:
    declaration = style.get(name)
    return declaration.value if declaration is not None else None
