"""A theme folder overrides the default theme file by file."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import ThemeError
from digest.pipeline import build_issue, render_folder

OVERRIDE_LEAD = """\
{% extends "!default/partials/lead.mjml.j2" if false else "!default/partials/lead.mjml.j2" %}
"""


def test_theme_overrides_one_partial(issue_dir: Path, tmp_path: Path):
    theme = tmp_path / "theme" / "partials"
    theme.mkdir(parents=True)
    (theme / "footer.mjml.j2").write_text(
        "<mj-section><mj-column><mj-text>Custom footer for {{ newsletter.name }}"
        ' <a href="{{ links.unsubscribe }}">Leave</a></mj-text></mj-column></mj-section>\n'
    )
    result = build_issue(issue_dir, tmp_path / "out", theme=tmp_path / "theme")
    html = result.rendered.html
    assert "Custom footer for Test Weekly" in html
    assert "A perfectly ordinary lead" in html, "the other partials still come from the default theme"


def test_theme_can_extend_the_default(issue_dir: Path, tmp_path: Path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "email.mjml.j2").write_text(
        '{% set banner = "Extended!" %}{% include "!default/email.mjml.j2" %}\n'
    )
    (theme / "partials").mkdir()
    (theme / "partials" / "header.mjml.j2").write_text(
        '{% include "!default/partials/header.mjml.j2" %}'
        "<mj-section><mj-column><mj-text>{{ banner }}</mj-text></mj-column></mj-section>\n"
    )
    rendered, _ = render_folder(issue_dir, theme=theme)
    assert "Extended!" in rendered.html
    assert "Test Weekly" in rendered.html


def test_theme_settings_override_colours(issue_dir: Path, tmp_path: Path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "theme.toml").write_text('[colors]\naccent = "#123456"\n')
    rendered, _ = render_folder(issue_dir, theme=theme)
    assert "#123456" in rendered.html.lower()


def test_theme_from_config_key(issue_dir: Path, tmp_path: Path):
    theme = issue_dir / "mytheme"
    theme.mkdir()
    (theme / "theme.toml").write_text('[colors]\naccent = "#654321"\n')
    toml = (issue_dir / "issue.toml").read_text()
    toml = toml.replace(
        'postal_address = "1 Test Street, Testville"\n',
        'postal_address = "1 Test Street, Testville"\ntheme = "mytheme"\n',
    )
    (issue_dir / "issue.toml").write_text(toml)
    rendered, _ = render_folder(issue_dir)
    assert "#654321" in rendered.html.lower()


def test_missing_theme_folder_is_a_clear_error(issue_dir: Path, tmp_path: Path):
    with pytest.raises(ThemeError, match="theme folder not found"):
        render_folder(issue_dir, theme=tmp_path / "nope")


def test_broken_template_names_file_and_line(issue_dir: Path, tmp_path: Path):
    theme = tmp_path / "theme" / "partials"
    theme.mkdir(parents=True)
    (theme / "lead.mjml.j2").write_text("<mj-section>\n{% if %}\n</mj-section>\n")
    with pytest.raises(ThemeError, match=r"lead\.mjml\.j2.*line 2"):
        render_folder(issue_dir, theme=tmp_path / "theme")
