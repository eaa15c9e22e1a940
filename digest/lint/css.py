"""Just enough CSS to judge an inlined email: declarations, colours, contrast, font sizes.

Parsing is tinycss2's; this module only asks it questions. Inline ``style`` strings repeat a lot in
MJML output, so their parse is cached by string.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tinycss2
import tinycss2.color4

WHITE = (1.0, 1.0, 1.0)
BLACK = (0.0, 0.0, 0.0)
# Browsers' default for unvisited links with no colour of their own.
LINK_DEFAULT = (0.0, 0.0, 238 / 255)

RGB = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Declaration:
    name: str
    value: str
    important: bool
    tokens: tuple


@dataclass(frozen=True, slots=True)
class CssRule:
    """One qualified rule from a <style> block; `media` is the prelude of its @media, if any."""

    selector: str
    declarations: tuple[Declaration, ...]
    media: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class AtRule:
    keyword: str
    prelude: str
    line: int


def _declarations(nodes) -> tuple[Declaration, ...]:
    found = []
    for node in nodes:
        if node.type == "declaration":
            tokens = tuple(t for t in node.value if t.type not in ("whitespace", "comment"))
            found.append(
                Declaration(node.lower_name, tinycss2.serialize(node.value).strip(), node.important, tokens)
            )
    return tuple(found)


@lru_cache(maxsize=4096)
def inline_declarations(style: str) -> dict[str, Declaration]:
    """A ``style`` attribute → {property: declaration}; the last one of a name wins, as in CSS."""
    nodes = tinycss2.parse_blocks_contents(style, skip_whitespace=True, skip_comments=True)
    return {d.name: d for d in _declarations(nodes)}


@lru_cache(maxsize=64)
def stylesheet(text: str) -> tuple[tuple[CssRule, ...], tuple[AtRule, ...]]:
    """A <style> block's text → its rules (media rules flattened, with their media) and at-rules."""
    rules: list[CssRule] = []
    at_rules: list[AtRule] = []

    def visit(nodes, media: str | None) -> None:
        for node in nodes:
            if node.type == "qualified-rule":
                content = tinycss2.parse_blocks_contents(
                    node.content, skip_whitespace=True, skip_comments=True
                )
                rules.append(
                    CssRule(
                        selector=tinycss2.serialize(node.prelude).strip(),
                        declarations=_declarations(content),
                        media=media,
                        line=node.source_line,
                    )
                )
            elif node.type == "at-rule":
                prelude = tinycss2.serialize(node.prelude).strip()
                at_rules.append(AtRule(node.lower_at_keyword, prelude, node.source_line))
                if node.lower_at_keyword == "media" and node.content is not None:
                    inner = tinycss2.parse_rule_list(node.content, skip_whitespace=True, skip_comments=True)
                    visit(inner, prelude)

    visit(tinycss2.parse_stylesheet(text, skip_whitespace=True, skip_comments=True), None)
    return tuple(rules), tuple(at_rules)


@lru_cache(maxsize=1024)
def parse_color(value: str) -> tuple[float, float, float, float] | None:
    """The first colour in a CSS value (``#fff``, ``rgb(…)``, a name) as sRGB + alpha, or None."""
    for token in tinycss2.parse_component_value_list(value):
        if token.type in ("whitespace", "comment"):
            continue
        color = tinycss2.color4.parse_color(token)
        if color is None or color == "currentcolor":
            continue
        srgb = color.to("srgb")
        red, green, blue = (min(max(c, 0.0), 1.0) for c in srgb.coordinates)
        return red, green, blue, float(srgb.alpha)
    return None


def blend(top: tuple[float, float, float, float], under: RGB) -> RGB:
    red, green, blue, alpha = top
    under_red, under_green, under_blue = under
    return (
        alpha * red + (1 - alpha) * under_red,
        alpha * green + (1 - alpha) * under_green,
        alpha * blue + (1 - alpha) * under_blue,
    )


def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: RGB) -> float:
    """WCAG 2 relative luminance."""
    red, green, blue = (_channel(c) for c in color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def hex_color(color: RGB) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in color)


_ABSOLUTE_PX = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}
_KEYWORD_PX = {"xx-small": 9, "x-small": 10, "small": 13, "medium": 16, "large": 18, "x-large": 24}


def font_size_px(declaration: Declaration, parent_px: float) -> float | None:
    """A font-size declaration in px, relative units resolved against the parent's size."""
    if not declaration.tokens:
        return None
    token = declaration.tokens[0]
    if token.type == "dimension":
        unit = token.lower_unit
        if unit in _ABSOLUTE_PX:
            return token.value * _ABSOLUTE_PX[unit]
        if unit in ("em", "rem"):
            return token.value * (parent_px if unit == "em" else 16.0)
    elif token.type == "percentage":
        return token.value / 100 * parent_px
    elif token.type == "number" and token.value == 0:
        return 0.0
    elif token.type == "ident" and token.lower_value in _KEYWORD_PX:
        return float(_KEYWORD_PX[token.lower_value])
    return None
