"""A theme is a folder of templates plus theme.toml; a publisher's folder overrides ours file by file."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digest.errors import ThemeError
from digest.markup import strip_controls
from digest.render import filters
from digest.render.css import CSS_TABLES, UnsafeCss

_PACKAGED = Path(__file__).resolve().parent.parent / "templates"
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "templates"

HTML_TEMPLATE = "email.mjml.j2"
TEXT_TEMPLATE = "email.txt.j2"
SETTINGS_FILE = "theme.toml"


def default_theme_dir() -> Path:
    """The theme shipped in the wheel, or the top-level templates/ of a source checkout."""
    for candidate in (_PACKAGED, _SOURCE_TREE):
        if (candidate / HTML_TEMPLATE).is_file():
            return candidate
    raise ThemeError(f"the default theme is missing (looked in {_PACKAGED} and {_SOURCE_TREE})")


def _autoescape(name: str | None) -> bool:
    # Everything but the plain-text part is markup; plain text must not carry HTML entities.
    return name is None or not name.endswith(".txt.j2")


def _finalize(value: object) -> object:
    # Control characters are invalid in the XML MJML is parsed as, whoever built the Story.
    # Markup has been through the sanitiser (which strips them) and must stay Markup.
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_controls(value)
    return value


def _read_settings(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as e:
        raise ThemeError(f"not valid TOML: {e}", where=path) from None
    for table, values in data.items():
        if not isinstance(values, dict):
            raise ThemeError(f"{table} must be a table", where=path)
        if table in CSS_TABLES:
            data[table] = _css_values(table, values, CSS_TABLES[table], path)
    return data


def _css_values(
    table: str, values: dict[str, Any], as_css: Callable[[str], Markup], path: Path
) -> dict[str, Markup]:
    """A table written into <style> blocks and style attributes: each value checked as CSS."""
    checked = {}
    for key, value in values.items():
        if not isinstance(value, str):
            raise ThemeError(f"[{table}] {key}: must be a string, not {type(value).__name__}", where=path)
        try:
            checked[key] = as_css(value)
        except UnsafeCss as e:
            raise ThemeError(f"[{table}] {key}: {e}", where=path) from None
    return checked


@dataclass(frozen=True)
class Theme:
    env: jinja2.Environment
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: tuple[Path, ...] = ()

    def template(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as e:
            raise ThemeError(f"line {e.lineno}: {e.message}", where=e.filename or name) from None
        except jinja2.TemplateNotFound:
            raise ThemeError(
                f"template not found in {', '.join(map(str, self.folders))}", where=name
            ) from None

    def render(self, name: str, context: dict[str, Any]) -> str:
        """One template rendered; its mistakes as ThemeError naming the file."""
        template = self.template(name)
        try:
            return template.render(context)
        except jinja2.TemplateSyntaxError as e:
            raise ThemeError(f"line {e.lineno}: {e.message}", where=e.filename or e.name or name) from None
        except jinja2.UndefinedError as e:
            raise ThemeError(f"template uses an undefined value: {e.message}", where=name) from None
        except jinja2.TemplateError as e:
            raise ThemeError(str(e), where=name) from None


def load_theme(override: Path | None = None) -> Theme:
    """Our theme, with `override`'s files (if any) taking precedence one by one.

    Templates in the override can extend ours by prefixing "!default/", e.g.
    ``{% extends "!default/partials/lead.mjml.j2" %}``.
    """
    default = default_theme_dir()
    folders: list[Path] = []
    if override is not None:
        override = override.resolve()
        if not override.is_dir():
            raise ThemeError("theme folder not found", where=override)
        folders.append(override)
    folders.append(default)

    settings = _read_settings(default / SETTINGS_FILE)
    if override is not None:
        for table, values in _read_settings(override / SETTINGS_FILE).items():
            settings.setdefault(table, {}).update(values)

    return Theme(env=_environment(tuple(folders)), settings=settings, folders=tuple(folders))


@lru_cache(maxsize=16)
def _environment(folders: tuple[Path, ...]) -> jinja2.Environment:
    # One environment per theme folder set, so compiled templates are reused between builds;
    # Jinja2 still checks each template file's mtime, so edits show up on the next render.
    default = folders[-1]
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(f) for f in folders]),
            jinja2.PrefixLoader({"!default": jinja2.FileSystemLoader(str(default))}, delimiter="/"),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Control characters are invalid in the XML MJML is parsed as, whoever built the Story.
        finalize=_finalize,
    )
    filters.install(env)
    return env
