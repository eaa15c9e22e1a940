"""Headless Chromium judges the rendered email: no sideways scroll on phones, axe-core finds nothing
at WCAG 2 A/AA, in light and dark mode. Screenshots land in tests/artifacts/ for people to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.pipeline import build_issue
from tests.judges.browser import open_email, overflow, screenshot
from tests.judges.node import module_file

WIDTHS = (320, 375, 600)
SCHEMES = ("light", "dark")


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(module_file("axe-core/axe.min.js")))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }"""
    )
    return result


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_sideways_scroll(browser, built_weeks, week, width, scheme):
    page = open_email(browser, built_weeks[week].rendered.html, width, dark=scheme == "dark")
    try:
        screenshot(page, f"{week}-{width}-{scheme}")
        assert overflow(page) == 0, f"{week} scrolls sideways at {width}px ({scheme})"
        # Images are sized to their column, never wider than the viewport.
        widest = page.evaluate("Math.max(...[...document.images].map(i => i.getBoundingClientRect().right))")
        assert widest <= width
    finally:
        page.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", (375, 600))
def test_axe_finds_no_wcag_a_or_aa_violations(browser, built_weeks, week, width, scheme):
    page = open_email(browser, built_weeks[week].rendered.html, width, dark=scheme == "dark")
    try:
        violations = axe_violations(page)
    finally:
        page.close()
    assert violations == [], json.dumps(violations, indent=2)


def test_axe_does_catch_a_broken_email(browser, built_weeks):
    """The judge can fail: grey-on-white text and an image without alt are both caught."""
    html = built_weeks["meridian"].rendered.html
    html = html.replace("color:#555555;", "color:#bbbbbb;").replace(
        'alt="Vladimir Putin speaking at a podium in the Kremlin" ', "", 1
    )
    page = open_email(browser, html, 600)
    try:
        found = {v["id"] for v in axe_violations(page)}
    finally:
        page.close()
    assert {"color-contrast", "image-alt"} <= found


def test_overflow_check_does_catch_a_fixed_width_block(browser, built_weeks):
    html = built_weeks["meridian"].rendered.html.replace("</body>", '<div style="width:700px">x</div></body>')
    page = open_email(browser, html, 375)
    try:
        assert overflow(page) > 0
    finally:
        page.close()


@pytest.fixture(scope="module")
def logo_email(tmp_path_factory) -> str:
    """The Tidewater week with a theme that adds a transparent, dark-ink logo."""
    from tests.conftest import SAMPLE_WEEKS

    theme = tmp_path_factory.mktemp("logo-theme")
    (theme / "theme.toml").write_text(
        '[logo]\nsrc = "https://tidewater-press.example/logo-tidewater.png"\n'
        'alt = "The Tidewater Weekly"\nwidth = 180\n'
    )
    out = tmp_path_factory.mktemp("logo-out")
    return build_issue(SAMPLE_WEEKS["tidewater"], out, theme=Path(theme)).rendered.html


@pytest.mark.parametrize("scheme", SCHEMES)
def test_logo_and_sponsored_label_stay_legible_in_dark_mode(browser, logo_email, scheme):
    page = open_email(browser, logo_email, 600, dark=scheme == "dark")
    try:
        screenshot(page, f"logo-theme-600-{scheme}")
        colours = page.evaluate(
            """() => ({
                plate: getComputedStyle(document.querySelector('.logo img')).backgroundColor,
                label: getComputedStyle(document.querySelector('.label div')).color,
                labelBg: getComputedStyle(document.querySelector('.dm-sponsored td')).backgroundColor,
                body: getComputedStyle(document.body).backgroundColor,
            })"""
        )
        violations = axe_violations(page)
    finally:
        page.close()
    if scheme == "dark":
        assert colours["body"] == "rgb(18, 18, 18)"
        assert colours["plate"] == "rgb(255, 255, 255)", "dark ink on a transparent logo needs its plate"
        assert colours["label"] == "rgb(240, 198, 116)"
    else:
        assert colours["plate"] in ("rgba(0, 0, 0, 0)", "transparent")
    assert violations == [], json.dumps(violations, indent=2)


@pytest.fixture(scope="module")
def font_theme_email(tmp_path_factory) -> str:
    """The Tidewater week with a theme whose heading font is quoted (as most font lists are)."""
    from tests.conftest import SAMPLE_WEEKS

    theme = tmp_path_factory.mktemp("font-theme")
    (theme / "theme.toml").write_text("[fonts]\nheading = \"'Trebuchet MS', 'DejaVu Sans', sans-serif\"\n")
    out = tmp_path_factory.mktemp("font-out")
    return build_issue(SAMPLE_WEEKS["tidewater"], out, theme=Path(theme)).rendered.html


HEADING_FONTS = """() => ['h1', 'h3'].map(tag => getComputedStyle(document.querySelector(tag)).fontFamily)"""


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_configured_heading_font_reaches_the_lead_and_item_headings(browser, font_theme_email, scheme):
    """Chromium's computed font-family of the lead's h1 and an item's h3 is the theme's [fonts] heading."""
    page = open_email(browser, font_theme_email, 600, dark=scheme == "dark")
    try:
        fonts = page.evaluate(HEADING_FONTS)
    finally:
        page.close()
    assert fonts == ['"Trebuchet MS", "DejaVu Sans", sans-serif'] * 2


def test_the_default_heading_font_reaches_the_headings(browser, built_weeks, week):
    page = open_email(browser, built_weeks[week].rendered.html, 600)
    try:
        fonts = page.evaluate(HEADING_FONTS)
    finally:
        page.close()
    assert fonts == ['"Helvetica Neue", Helvetica, Arial, sans-serif'] * 2
