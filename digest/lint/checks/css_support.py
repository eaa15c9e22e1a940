"""CSS features the email uses, checked against caniemail data for Gmail, Outlook, Apple Mail and Yahoo.

Reported (as warnings): features that at least one platform of those four families does not support
in its newest tested version, except the documented BASELINE below (what MJML's own output needs,
with the fallback MJML ships for it) and DARK_MODE_OPT_IN (the dark-mode switch itself, which
clients without it ignore, showing the light design). Rules inside ``@media (prefers-color-scheme)``
are gated the same way: a client that lacks the media feature never applies them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from digest.lint import caniemail, css
from digest.lint.document import EmailDocument, describe
from digest.lint.findings import Finding, Level
from digest.lint.registry import check

# slug → why it is accepted without a report. Every entry is in MJML's own output for any template.
BASELINE: dict[str, str] = {
    "css-at-media": "MJML's responsive columns (@media min-width:480px); without it the stacked phone "
    "layout shows, and Outlook on Windows gets the conditional <table> layout instead",
    "css-selector-class": "MJML's column classes (.mj-column-per-N) inside its @media block",
    "css-selector-id": "MJML's reset `#outlook a { padding: 0 }` (for Outlook.com)",
    "css-selector-type": "MJML's resets (`body`, `table, td`, `img`, `p`)",
    "css-selector-grouping": "MJML's reset `table, td { … }`",
    "css-selector-descendant": "MJML's `#outlook a` and `.moz-text-html .mj-column-per-N` (Thunderbird)",
    "css-display-none": "the hidden preheader (MJML's <mj-preview> hides it the same way)",
    "css-max-height": "the hidden preheader: max-height:0 hides it where display:none is dropped",
    "css-overflow": "the hidden preheader: overflow:hidden, as MJML's <mj-preview>",
    "css-height": "MJML's image reset `img { height: auto }`; images also carry a width attribute",
    "css-outline": "MJML's image reset `img { outline: none }`",
    "css-border-spacing": "MJML's <mj-image> table (`border-spacing:0`); cellspacing=0 covers Outlook",
    "css-border-radius": "MJML's <mj-button> always sets border-radius; Outlook draws square corners",
    "css-cursor": "MJML's <mj-button> cell (`cursor:auto`)",
    "css-word-break": "MJML's <mj-text> cell (`word-break:break-word`) keeps long URLs from widening it",
    "css-word-spacing": "MJML's <body> (`word-spacing:normal`)",
}
# The dark-mode switch the theme must carry (issue requirement); clients without it show the light design.
DARK_MODE_OPT_IN: dict[str, str] = {
    "css-at-media-prefers-color-scheme": "dark-mode rules; clients without it skip the whole block",
    "css-color-scheme": "`:root { color-scheme: light dark }`; ignored where unsupported",
}

_SIDE = re.compile(r"-(top|right|bottom|left)(?=$|-)")
_PSEUDO = re.compile(r"(::?)([a-zA-Z-]+)")
_MEDIA_FEATURES = {
    "prefers-color-scheme": "css-at-media-prefers-color-scheme",
    "prefers-reduced-motion": "css-at-media-prefers-reduced-motion",
    "orientation": "css-at-media-orientation",
    "hover": "css-at-media-hover",
    "device-pixel-ratio": "css-at-media-device-pixel-ratio",
}
_FUNCTIONS = {
    "rgb": "css-rgb",
    "rgba": "css-rgba",
    "calc": "css-unit-calc",
    "min": "css-function-min",
    "max": "css-function-max",
    "clamp": "css-function-clamp",
    "var": "css-variables",
    "linear-gradient": "css-linear-gradient",
    "radial-gradient": "css-radial-gradient",
    "conic-gradient": "css-conic-gradient",
    "light-dark": "css-function-light-dark",
}


def property_slugs(name: str) -> Iterator[str]:
    """``padding-left`` → css-padding-left?, css-padding; vendor and mso- properties have no data."""
    if name.startswith("-") or name.startswith("mso-"):
        return
    yield f"css-{name}"
    plain = _SIDE.sub("", name)
    if plain != name:
        yield f"css-{plain}"
    if name.startswith("border-") and "radius" not in name:
        yield "css-border"


def value_slugs(declaration: css.Declaration) -> Iterator[str]:
    if declaration.important:
        yield "css-important"
    if declaration.name == "display" and declaration.tokens and declaration.tokens[0].type == "ident":
        yield f"css-display-{declaration.tokens[0].lower_value}"
    stack = list(declaration.tokens)
    while stack:
        token = stack.pop()
        if token.type == "dimension":
            yield f"css-unit-{token.lower_unit}"
        elif token.type == "percentage":
            yield "css-unit-percent"
        elif token.type == "function":
            if token.lower_name in _FUNCTIONS:
                yield _FUNCTIONS[token.lower_name]
            stack.extend(token.arguments)


def selector_slugs(selector: str) -> Iterator[str]:
    if "," in selector:
        yield "css-selector-grouping"
    for part in selector.split(","):
        part = part.strip()
        if "#" in part:
            yield "css-selector-id"
        if "." in re.sub(r"\([^)]*\)", "", part):
            yield "css-selector-class"
        if "[" in part:
            yield "css-selector-attribute"
        if ">" in part:
            yield "css-selector-child"
        if "+" in part:
            yield "css-selector-adjacent-sibling"
        if "~" in part:
            yield "css-selector-general-sibling"
        if "*" in part:
            yield "css-selector-universal"
        compounds = re.sub(r"\s*[>+~]\s*", ">", part).split()
        if len(compounds) > 1:
            yield "css-selector-descendant"
        if any(re.match(r"[a-zA-Z]", c) for c in re.split(r"[>+~\s]+", part)):
            yield "css-selector-type"
        for colons, name in _PSEUDO.findall(part):
            kind = "element" if colons == "::" or name in ("before", "after") else "class"
            yield f"css-pseudo-{kind}-{name.lower()}"


def _declaration_slugs(declarations: Iterable[css.Declaration]) -> Iterator[str]:
    for declaration in declarations:
        yield from property_slugs(declaration.name)
        yield from value_slugs(declaration)


def used_features(doc: EmailDocument) -> dict[str, str]:
    """Every caniemail feature the email uses → where it is first used."""
    used: dict[str, str] = {}

    def note(slugs: Iterable[str], where: str) -> None:
        for slug in slugs:
            if caniemail.known(slug):
                used.setdefault(slug, where)

    for at_rule in doc.css_at_rules:
        where = f"<style> @{at_rule.keyword} {at_rule.prelude}"[:90]
        note([f"css-at-{at_rule.keyword}"], where)
        note((slug for key, slug in _MEDIA_FEATURES.items() if key in at_rule.prelude), where)
    for rule in doc.css_rules:
        if rule.media and "prefers-color-scheme" in rule.media:
            continue  # gated: applied only by clients that support the media feature
        where = f"<style> {rule.selector}"[:90]
        note(selector_slugs(rule.selector), where)
        note(_declaration_slugs(rule.declarations), where)
    seen_styles: set[str] = set()
    for element, declarations in doc.inline_styles():
        style = element.get("style", "")
        if style in seen_styles:
            continue
        seen_styles.add(style)
        note(_declaration_slugs(declarations.values()), describe(element))
    return used


@check("css-support")
def css_support(doc: EmailDocument) -> Iterator[Finding]:
    """CSS features outside the MJML baseline that Gmail, Outlook, Apple Mail or Yahoo do not support."""
    for slug, where in sorted(used_features(doc).items()):
        if slug in BASELINE or slug in DARK_MODE_OPT_IN:
            continue
        info = caniemail.support(slug)
        if info is None or not info.unsupported:
            continue
        yield Finding(
            Level.WARNING,
            f"css-unsupported:{slug}",
            f"{info.title} is not supported in {', '.join(info.unsupported)}"
            f" (caniemail data of {caniemail.data_date()[:10]})",
            where,
            f"Make sure the design still works without it, or drop it; see {info.url}",
        )
