"""The reference MJML compiler (npm `mjml`) judges the theme: its MJML, filled with each sample week,
passes `mjml --validate` (strict), and the reference render looks the same as what we send
(mjml-python + premailer), compared pixel by pixel in Chromium at 600 and 375 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from digest.compose import compose_config
from digest.pipeline import load_stories
from digest.render import load_theme, render_mjml
from digest.settings import load_issue_config
from tests.conftest import SAMPLE_WEEKS
from tests.judges.browser import ARTIFACTS, open_email
from tests.judges.node import run


def week_mjml(week: str) -> str:
    config = load_issue_config(SAMPLE_WEEKS[week])
    issue = compose_config(config, load_stories(config)).issue
    return render_mjml(issue, load_theme(config.theme_dir))


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mjml")
    paths = {}
    for week in SAMPLE_WEEKS:
        paths[week] = folder / f"{week}.mjml"
        paths[week].write_text(week_mjml(week), encoding="utf-8")
    return paths


def test_theme_passes_strict_validation(sources, week):
    result = run("mjml", "--validate", "--config.validationLevel", "strict", str(sources[week]))
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_validation_does_catch_a_bad_attribute(sources, tmp_path: Path):
    bad = tmp_path / "bad.mjml"
    bad.write_text(sources["meridian"].read_text().replace("<mj-text ", '<mj-text colour="red" ', 1))
    assert run("mjml", "--validate", str(bad)).returncode != 0


def pixel_difference(first: Path, second: Path, diff_path: Path) -> tuple[int, int]:
    """(differing pixels, total pixels) over the larger canvas; a size difference counts as difference."""
    a, b = Image.open(first).convert("RGB"), Image.open(second).convert("RGB")
    size = (max(a.width, b.width), max(a.height, b.height))
    canvas_a, canvas_b = Image.new("RGB", size, "magenta"), Image.new("RGB", size, "magenta")
    canvas_a.paste(a)
    canvas_b.paste(b)
    difference = ImageChops.difference(canvas_a, canvas_b)
    mask = difference.convert("L").point(lambda v: 255 if v else 0)
    mask.save(diff_path)
    return mask.histogram()[255], size[0] * size[1]


@pytest.mark.parametrize("width", (600, 375))
def test_reference_render_looks_the_same(browser, built_weeks, sources, week, width, tmp_path: Path):
    reference_html = tmp_path / "reference.html"
    result = run("mjml", str(sources[week]), "-o", str(reference_html), "--config.fonts", "{}")
    assert result.returncode == 0, result.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = {}
    for name, html in (("reference", reference_html.read_text()), ("ours", built_weeks[week].rendered.html)):
        page = open_email(browser, html, width)
        shots[name] = ARTIFACTS / f"compare-{week}-{width}-{name}.png"
        page.screenshot(path=str(shots[name]), full_page=True)
        page.close()
    differing, total = pixel_difference(
        shots["reference"], shots["ours"], ARTIFACTS / f"compare-{week}-{width}-diff.png"
    )
    print(f"{week} at {width}px: {differing} of {total} pixels differ ({differing / total:.4%})")
    assert differing == 0
