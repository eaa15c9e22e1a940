"""Jinja2 for our own HTML pages (the preview app, the archive index): autoescaped, strict."""

from __future__ import annotations

from pathlib import Path

import jinja2

from digest.render import longdate
from digest.words import plural


def page_templates(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["longdate"] = longdate
    env.filters["plural"] = plural  # {{ n | plural("issue") }} → "3 issues"
    return env
