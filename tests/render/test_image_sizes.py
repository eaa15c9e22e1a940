"""A picture is never shown wider than it is declared, and a lead's narrow picture sits beside the
text instead of spanning the email (issue 12, item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html

from digest.compose import compose_config
from digest.errors import DigestError
from digest.pipeline import load_stories, render_folder
from digest.render import load_theme, render_mjml
from digest.render.filters import LEAD_PHOTO_MIN_WIDTH
from digest.settings import load_issue_config
from tests.conftest import write_story
from tests.judges.browser import open_email
from tests.judges.node import run


def _declare(issue_dir: Path, story: str, width: int | None) -> None:
    """Give a story file of `issue_dir` a picture of `width` px (None: a size nobody declared)."""
    path = issue_dir / "stories" / f"{story}.md"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("image")]
    picture = [f'image: "https://test-press.example/{story}.jpg"', f'image_alt: "{story} picture"']
    if width is not None:
        picture.append(f"image_width: {width}")
    path.write_text("\n".join([lines[0], *picture, *lines[1:]]) + "\n", encoding="utf-8")


def _images(issue_dir: Path) -> dict[str, lxml_html.HtmlElement]:
    rendered, _ = render_folder(issue_dir)
    doc = lxml_html.document_fromstring(rendered.html)
    return {img.get("src").rsplit("/", 1)[-1]: img for img in doc.xpath("//img")}


def _column_class(img: lxml_html.HtmlElement) -> str:
    return img.xpath("ancestor::div[contains(@class, 'mj-column-per-')][1]/@class")[0]


@pytest.mark.parametrize(
    ("declared", "shown", "column"),
    [
        (None, 600, "mj-column-per-100"),  # unknown: the lead photo as always
        (150, 150, "mj-column-per-40"),  # a thumbnail: beside the text, at its own size
        (LEAD_PHOTO_MIN_WIDTH - 1, 204, "mj-column-per-40"),
        (
            LEAD_PHOTO_MIN_WIDTH,
            LEAD_PHOTO_MIN_WIDTH,
            "mj-column-per-100",
        ),  # wide enough: spans, not stretched
        (1280, 600, "mj-column-per-100"),
    ],
)
def test_the_lead_layout_follows_the_declared_width(issue_dir: Path, declared, shown, column):
    _declare(issue_dir, "lead-story", declared)
    img = _images(issue_dir)["lead-story.jpg"]
    assert img.get("width") == str(shown)
    assert f"max-width:{shown}px" in img.get("style")
    assert column in _column_class(img)


def test_a_more_from_thumbnail_is_never_stretched(issue_dir: Path):
    _declare(issue_dir, "second", 120)
    write_story(
        issue_dir / "stories",
        "third",
        """
        title: "Third story"
        url: "https://test-press.example/third"
        image: "https://test-press.example/third.jpg"
        image_alt: "A third picture"
        image_width: 900
        """,
    )
    images = _images(issue_dir)
    assert images["second.jpg"].get("width") == "120"
    assert "max-width:120px" in images["second.jpg"].get("style")
    assert images["third.jpg"].get("width") == "204"  # wider than its slot: the slot's width


def test_a_bad_image_width_is_one_line_naming_the_file(issue_dir: Path):
    _declare(issue_dir, "second", 0)
    with pytest.raises(DigestError) as raised:
        render_folder(issue_dir)
    assert "second.md" in str(raised.value) and "image_width" in str(raised.value)


THUMBNAIL_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
  <channel>
    <title>Quayside</title>
    <link>https://quayside.example/</link>
    <item>
      <title>Ferry timetable changes from March</title>
      <link>https://quayside.example/news/ferry-timetable-changes</link>
      <pubDate>Sat, 01 Feb 2025 09:00:00 +0000</pubDate>
      <description>&lt;p&gt;Two early sailings go, a late one comes.&lt;/p&gt;</description>
      <media:thumbnail url="https://quayside.example/img/ferry-150.jpg" width="150" height="100"/>
    </item>
  </channel>
</rss>
"""


@pytest.fixture
def thumbnail_lead(issue_dir: Path) -> Path:
    """The issue with a feed whose entry has only a 150 px media:thumbnail, pinned as the lead."""
    (issue_dir / "quayside.rss").write_text(THUMBNAIL_FEED, encoding="utf-8")
    toml = issue_dir / "issue.toml"
    text = toml.read_text(encoding="utf-8").replace(
        "[issue]\n", '[issue]\nlead = "ferry-timetable-changes"\n'
    )
    toml.write_text(text + '\n[[sources]]\nfeed = "quayside.rss"\n[[sources]]\nfolder = "stories"\n')
    return issue_dir


def test_a_feeds_thumbnail_in_the_lead_keeps_its_size(thumbnail_lead: Path):
    img = _images(thumbnail_lead)["ferry-150.jpg"]
    assert img.get("width") == "150"
    assert "mj-column-per-40" in _column_class(img)


@pytest.mark.parametrize("viewport", [1366, 375])
def test_a_150px_lead_thumbnail_is_at_most_150_css_px_in_chromium(browser, thumbnail_lead: Path, viewport):
    rendered, _ = render_folder(thumbnail_lead)
    assert rendered.issue.lead.id == "ferry-timetable-changes"
    page = open_email(browser, rendered.html, viewport)
    try:
        width = page.evaluate(
            "document.querySelector('img[src$=\"ferry-150.jpg\"]').getBoundingClientRect().width"
        )
    finally:
        page.close()
    assert 0 < width <= 150


def test_the_thumbnail_lead_passes_strict_mjml_validation(thumbnail_lead: Path, tmp_path: Path):
    config = load_issue_config(thumbnail_lead)
    issue = compose_config(config, load_stories(config)).issue
    source = tmp_path / "thumbnail-lead.mjml"
    source.write_text(render_mjml(issue, load_theme(config.theme_dir)), encoding="utf-8")
    result = run("mjml", "--validate", "--config.validationLevel", "strict", str(source))
    assert result.returncode == 0, result.stdout + result.stderr
