"""Emails that are not an issue but wear its look (a sign-up's confirmation, the welcome): a theme
template pair NAME.mjml.j2 and NAME.txt.j2 rendered with the theme's colours and fonts, compiled
and inlined as an issue is, the plain-text part beside it."""

from __future__ import annotations

from typing import Any

from digest.render.html import compile_mjml, finish_html, inline_css
from digest.render.theme import Theme


def theme_context(theme: Theme) -> dict[str, Any]:
    """What every theme template may use besides its own values."""
    return {key: theme.settings.get(key, {}) for key in ("colors", "fonts", "dark", "logo")}


def render_notice(theme: Theme, name: str, context: dict[str, Any], preheader: str = "") -> tuple[str, str]:
    """(html, text) of the theme's `name`.mjml.j2 and `name`.txt.j2 with `context`."""
    values = {**theme_context(theme), **context}
    html = finish_html(inline_css(compile_mjml(theme.render(f"{name}.mjml.j2", values))), preheader)
    return html, theme.render(f"{name}.txt.j2", values)
