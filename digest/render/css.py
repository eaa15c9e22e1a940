"""Theme values that are written into CSS (colours, font lists), checked as CSS and marked safe for it.

They land in `<style>` blocks, where HTML entities are not decoded: autoescaped, the quotes of
``'Helvetica Neue'`` became ``&#39;`` and the browser dropped the whole rule. So these values skip
HTML escaping (they are `Markup`), and are safe because of what they may hold: a font list is names
of letters, digits, spaces, ``-``, ``_`` and ``.``, re-quoted here as CSS strings; a colour is a hex,
a keyword or a colour function of numbers. Nothing else passes (no ``<``, ``;``, ``{``, ``}``,
quotes or backslashes), so a theme.toml value can end neither the declaration nor the style block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from markupsafe import Markup

GENERIC_FAMILIES = frozenset(
    {
        "serif",
        "sans-serif",
        "monospace",
        "cursive",
        "fantasy",
        "system-ui",
        "ui-serif",
        "ui-sans-serif",
        "ui-monospace",
        "ui-rounded",
        "emoji",
        "math",
        "fangsong",
    }
)
# Unquoted, these are CSS-wide keywords rather than font names: as names they must be quoted.
_CSS_KEYWORDS = frozenset({"inherit", "initial", "unset", "revert", "revert-layer", "default"})
_FAMILY_NAME = re.compile(r"\w[\w .-]*")
_BARE_FAMILY = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_QUOTES = ("'", '"')
_COLOR = re.compile(
    r"#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})"
    r"|[a-z]+"
    r"|(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\([0-9a-z.,%/ +-]*\)",
    re.IGNORECASE,
)


class UnsafeCss(ValueError):
    """A theme value that is not the CSS it should be; the message says what is allowed."""


def _family(written: str) -> str:
    name = written.strip()
    if len(name) >= 2 and name[0] in _QUOTES and name[-1] == name[0]:
        name = name[1:-1].strip()
    if not _FAMILY_NAME.fullmatch(name):
        raise UnsafeCss(
            f"{written.strip()!r} is not a font name (letters, digits, spaces, - _ and . only; "
            "names separated by commas)"
        )
    if name.lower() in GENERIC_FAMILIES:
        return name.lower()
    if _BARE_FAMILY.fullmatch(name) and name.lower() not in _CSS_KEYWORDS:
        return name
    return f"'{name}'"  # a CSS string; the name holds no quote or backslash to escape


def font_family(value: str) -> Markup:
    """A theme's font list as a CSS font-family value: ``'Helvetica Neue', Arial, sans-serif``."""
    return Markup(", ".join(_family(part) for part in value.split(",")))


def color(value: str) -> Markup:
    """A theme colour as CSS: ``#a32019``, ``white``, ``rgb(163 32 25 / 90%)``."""
    if not _COLOR.fullmatch(value.strip()):
        raise UnsafeCss(f"{value!r} is not a colour (#rrggbb, #rgb, a colour name, rgb()/hsl() of numbers)")
    return Markup(value.strip())


CSS_TABLES: Mapping[str, Callable[[str], Markup]] = {"colors": color, "dark": color, "fonts": font_family}
"""theme.toml tables whose every value is written into CSS, and the check each value passes."""
