"""Theme values written into CSS reach the browser intact, and cannot break out of it (issue 12, item 13).

The <style> block is raw text to a browser: an HTML entity there is not decoded, so an autoescaped
``'Helvetica Neue'`` (``&#39;Helvetica Neue&#39;``) made the browser drop the whole heading rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from digest.cli import main
from digest.compose import compose_issue
from digest.errors import ThemeError
from digest.model import Story
from digest.pipeline import build_issue, render_folder
from digest.render import load_theme, render_issue
from digest.render.css import font_family
from tests.compose_fixtures import NEWSLETTER
from tests.compose_fixtures import settings as settings_for
from tests.conftest import SAMPLE_WEEKS

ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)
HEADING_RULE = re.compile(r"h1, h2, h3 \{ font-family: ([^;]*);")
HOSTILE_FONTS = [
    "x;}</style><script>alert(1)</script>",
    "Arial; } body { display: none",
    "Arial</style><img src=x onerror=alert(1)>",
    "'Arial', \"x\\\" } *{color:red}",
    "x\n} h1 { color: red",
    "url(https://evil.example/font.woff)",
]
HOSTILE_COLOURS = [
    "#fff; } body { display:none",
    "red</style><script>",
    "rgb(0,0,0);x:1",
    "expression(alert(1))",
]


def _styles(html: str) -> list[str]:
    return [style.text or "" for style in lxml_html.document_fromstring(html).xpath("//style")]


@pytest.mark.parametrize("week", sorted(SAMPLE_WEEKS))
def test_no_html_entity_inside_any_style_block(week: str):
    rendered, _ = render_folder(SAMPLE_WEEKS[week])
    raw_blocks = re.findall(r"<style\b[^>]*>(.*?)</style>", rendered.html, re.DOTALL | re.IGNORECASE)
    assert raw_blocks
    for block in raw_blocks:
        assert not ENTITY.search(block), ENTITY.search(block)
    (rule,) = [m.group(1) for block in raw_blocks for m in HEADING_RULE.finditer(block)]
    assert rule == "'Helvetica Neue', Helvetica, Arial, sans-serif"


def _theme(tmp_path: Path, toml: str) -> Path:
    folder = tmp_path / "theme"
    folder.mkdir(exist_ok=True)
    (folder / "theme.toml").write_text(toml, encoding="utf-8")
    return folder


def test_configured_heading_font_reaches_every_heading(issue_dir: Path, tmp_path: Path):
    theme = _theme(tmp_path, '[fonts]\nheading = \'"Gill Sans", "Trebuchet MS", Verdana, SANS-SERIF\'\n')
    rendered, _ = render_folder(issue_dir, theme=theme)
    wanted = "'Gill Sans', 'Trebuchet MS', Verdana, sans-serif"
    assert [m.group(1) for style in _styles(rendered.html) for m in HEADING_RULE.finditer(style)] == [wanted]
    doc = lxml_html.document_fromstring(rendered.html)
    for heading in doc.xpath("//h1 | //h3"):
        assert 'font-family:"Gill Sans", "Trebuchet MS", Verdana, sans-serif' in heading.get("style")


@pytest.mark.parametrize("value", HOSTILE_FONTS)
def test_a_hostile_font_is_refused_naming_the_file_and_key(tmp_path: Path, value: str):
    theme = _theme(tmp_path, f"[fonts]\nheading = {_toml_string(value)}\n")
    with pytest.raises(ThemeError, match=r"\[fonts\] heading: .* is not a font name") as caught:
        load_theme(theme)
    assert caught.value.where == str(theme / "theme.toml")


@pytest.mark.parametrize("value", HOSTILE_COLOURS)
def test_a_hostile_colour_is_refused_naming_the_file_and_key(tmp_path: Path, value: str):
    theme = _theme(tmp_path, f"[dark]\nlink = {_toml_string(value)}\n")
    with pytest.raises(ThemeError, match=r"\[dark\] link: .* is not a colour"):
        load_theme(theme)


def test_build_with_a_hostile_theme_is_one_line_and_exit_2(issue_dir: Path, tmp_path: Path):
    theme = _theme(tmp_path, f"[fonts]\nbody = {_toml_string(HOSTILE_FONTS[0])}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(issue_dir), "--out", str(out), "--theme", str(theme)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "theme.toml: [fonts] body:" in lines[0], result.output
    assert not (out / "index.html").exists()


def test_a_font_that_is_not_text_is_refused(tmp_path: Path):
    with pytest.raises(ThemeError, match=r"\[colors\] page: must be a string, not int"):
        load_theme(_theme(tmp_path, "[colors]\npage = 255\n"))


def _toml_string(value: str) -> str:
    """`value` as a TOML basic string, control characters escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


ISSUE = compose_issue(
    NEWSLETTER, settings_for(), [Story(id="s", title="T", url="https://x.example/s", summary="<p>x</p>")]
)
BASELINE = _styles(render_issue(ISSUE, load_theme()).html)
FONT_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(
    [*"'\",;:{}()<>/\\!@*&#\n -._", "</style>", "<script>", "serif", "Arial"]
)
NAME_START = st.characters(categories=("L", "Nd"))
NAME_REST = st.characters(categories=("L", "Nd"), include_characters=" -._")
NAME = st.builds(lambda start, rest: start + rest, NAME_START, st.text(NAME_REST, max_size=12))
# A family: mostly a name a person might write (perhaps quoted), sometimes anything at all.
FAMILY = st.one_of(NAME, NAME, NAME, st.lists(FONT_CHARACTERS, max_size=8).map("".join)).flatmap(
    lambda name: st.sampled_from([name, f"'{name}'", f'"{name}"'])
)
FONT_LISTS = st.one_of(
    st.lists(FAMILY, min_size=1, max_size=3).map(", ".join),
    st.lists(FONT_CHARACTERS, max_size=30).map("".join),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=FONT_LISTS)
def test_no_font_value_can_leave_its_declaration(tmp_path: Path, value: str):
    """Either the value is refused, or the <style> blocks are the default ones with only the font changed."""
    theme_folder = _theme(tmp_path, f"[fonts]\nheading = {_toml_string(value)}\n")
    try:
        theme = load_theme(theme_folder)
    except ThemeError as e:
        assert "[fonts] heading:" in str(e)
        event("refused")
        return
    event("rendered")
    html = render_issue(ISSUE, theme).html
    default = "'Helvetica Neue', Helvetica, Arial, sans-serif"
    assert _styles(html) == [style.replace(default, font_family(value)) for style in BASELINE]
    doc = lxml_html.document_fromstring(html)
    assert not doc.xpath("//script")
    assert len(doc.xpath("//style")) == len(BASELINE)


def test_theme_with_a_quoted_font_builds_and_lints_clean(sample_copy, tmp_path: Path):
    folder = sample_copy("tidewater")
    theme = _theme(tmp_path, "[fonts]\nbody = \"'Iowan Old Style', 'Palatino Linotype', Palatino, serif\"\n")
    result = build_issue(folder, tmp_path / "out", theme=theme)
    assert not [f for f in result.lint.findings if f.level == "error"], result.lint.findings
    assert "font-family:'Iowan Old Style', 'Palatino Linotype', Palatino, serif" in result.rendered.html
