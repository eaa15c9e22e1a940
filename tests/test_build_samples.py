"""`digest build` of each bundled week: the files, the HTML's structure, the message."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html

from digest.gather.readers import read_story_folder
from digest.pipeline import build_issue
from digest.settings import load_issue_config

GMAIL_CLIP_BYTES = 102 * 1024


@pytest.fixture
def built(sample_week: Path, tmp_path: Path):
    return build_issue(sample_week, tmp_path / "out")


def test_writes_html_text_and_eml(built):
    for path in built.files.values():
        assert path.is_file() and path.stat().st_size > 0
    assert {p.name for p in built.files.values()} == {"index.html", "issue.txt", "issue.eml"}


def test_html_document_head(built):
    html = built.files["html"].read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    doc = lxml_html.document_fromstring(html)
    lang = doc.get("lang")
    assert lang and lang != "und"
    assert lang == built.issue.newsletter.lang
    assert doc.findtext(".//title").strip() == built.issue.subject
    assert not doc.xpath("//link[@rel='stylesheet']")
    assert "fonts.googleapis.com" not in html
    assert "@media" in html and "!important" in html, "media queries must survive inlining"


def test_preheader_is_hidden_and_first(built):
    doc = lxml_html.document_fromstring(built.rendered.html)
    body = doc.find("body")
    first = body[0]
    assert "preheader" in first.get("class", "")
    assert "display:none" in first.get("style", "").replace(" ", "")
    assert first.text_content().startswith(built.issue.preheader)
    assert len(doc.xpath("//*[contains(@class, 'preheader')]")) == 1


def test_images_have_alt_and_integer_width(built):
    doc = lxml_html.document_fromstring(built.rendered.html)
    images = doc.xpath("//img")
    assert images
    for img in images:
        assert img.get("alt"), f"image without alt: {img.get('src')}"
        assert re.fullmatch(r"\d+", img.get("width", "")), img.get("width")
        assert int(img.get("width")) <= 600


def test_links_are_absolute_http(built):
    doc = lxml_html.document_fromstring(built.rendered.html)
    hrefs = [a.get("href") for a in doc.xpath("//a[@href]")]
    assert hrefs
    for href in hrefs:
        assert urlsplit(href).scheme in ("http", "https"), href
        assert urlsplit(href).netloc, href


def test_styles_are_inlined(built):
    doc = lxml_html.document_fromstring(built.rendered.html)
    # Rules from the theme's <mj-style> must reach the elements themselves.
    h1 = doc.xpath("//h1")[0]
    assert "font-size:28px" in h1.get("style", "").replace(" ", "")
    for heading in doc.xpath("//h3"):
        assert "font-size" in heading.get("style", "")


def test_summaries_render_as_markup_not_escaped_text(built):
    html = built.rendered.html
    assert "&lt;p&gt;" not in html and "&lt;strong&gt;" not in html and "&lt;a " not in html
    doc = lxml_html.document_fromstring(html)
    assert len(doc.xpath("//p")) >= len(built.issue.stories)


def test_under_gmail_clip_size(built):
    assert built.html_bytes < GMAIL_CLIP_BYTES


def test_every_story_title_in_composed_order(built, sample_week: Path):
    text_content = lxml_html.document_fromstring(built.rendered.html).text_content()
    positions = [text_content.find(story.title) for story in built.issue.stories]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    config = load_issue_config(sample_week)
    assert len(built.issue.stories) == len(read_story_folder(config.stories_dir))


def test_eml_is_multipart_alternative_text_then_html(built):
    raw = built.files["eml"].read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content().replace("\r\n", "\n") == built.rendered.text
    assert parts[1].get_content().replace("\r\n", "\n") == built.rendered.html
    assert message["Subject"] == built.issue.subject
    assert message["From"].addresses[0].addr_spec in built.issue.newsletter.from_address
    assert message["Message-ID"].startswith("<") and "@" in message["Message-ID"]
    assert message["Date"]
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_text_part_lines_fit(built):
    for line in built.rendered.text.splitlines():
        if not re.fullmatch(r"(\[\d+\] )?https?://\S+", line):
            assert len(line) <= 78, line


def test_sample_week_matches_the_seed_shape():
    """The Meridian week mirrors the seed: captioned lead, 4 credited articles, 2 sponsored, 1 video."""
    from tests.conftest import SAMPLE_WEEKS

    config = load_issue_config(SAMPLE_WEEKS["meridian"])
    stories = read_story_folder(config.stories_dir)
    lead = next(s for s in stories if s.id == config.issue.lead)
    assert lead.image and lead.image.caption and lead.image.credit
    others = [s for s in stories if s is not lead]
    articles = [s for s in others if s.kind == "article"]
    assert len(articles) == 4 and all(s.image and s.image.credit for s in articles)
    sponsored = [s for s in others if s.kind == "sponsored"]
    assert len(sponsored) == 2 and all(s.sponsor and s.cta for s in sponsored)
    assert len([s for s in others if s.kind == "video"]) == 1
