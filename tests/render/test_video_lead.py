"""A pinned video lead renders as a video, in the HTML and in the plain text (issue 12, item 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html

from digest.pipeline import render_folder
from digest.render import RenderedIssue
from tests.conftest import write_story

VIDEO = """
title: "The harbour in 90 seconds"
url: "https://www.youtube.com/watch?v=harbour90"
kind: video
duration: "4:32"
priority: 1
image: "https://test-press.example/harbour-still.jpg"
image_alt: "The harbour from the lighthouse"
"""


@pytest.fixture
def video_lead(issue_dir: Path) -> RenderedIssue:
    write_story(issue_dir / "stories", "harbour-video", VIDEO, body="A minute and a half on the water.")
    toml = issue_dir / "issue.toml"
    toml.write_text(toml.read_text().replace("[issue]\n", '[issue]\nlead = "harbour-video"\n'))
    rendered, _ = render_folder(issue_dir)
    assert rendered.issue.lead.id == "harbour-video"
    return rendered


def _lead_block(html: str) -> lxml_html.HtmlElement:
    """The lead's section: the one holding the issue's only h1."""
    doc = lxml_html.document_fromstring(html)
    (h1,) = doc.xpath("//h1")
    sections = h1.xpath("ancestor::div[contains(@style, 'max-width:600px')][1]")
    return sections[0]


def test_video_lead_html_has_label_play_mark_duration_and_video_call_to_action(video_lead):
    lead = _lead_block(video_lead.html)
    text = " ".join(lead.text_content().split())
    assert "▶ Video · 4:32" in text, "the video label with the running time, above the title"
    assert "Watch the video" in text
    assert "Read the full story" not in video_lead.html
    (image,) = lead.xpath(".//img")
    assert image.get("alt") == "The harbour from the lighthouse (play video)", "the play mark on the image"
    assert image.xpath("ancestor::a[1]/@href")[0].startswith("https://www.youtube.com/watch?v=harbour90")


def test_video_lead_plain_text_has_label_duration_and_video_call_to_action(video_lead):
    lead_part = video_lead.text.split("=" * 78)[1]
    lines = [line for line in lead_part.splitlines() if line]
    assert lines[0] == "VIDEO · 4:32"
    assert lines[1] == "The harbour in 90 seconds"
    assert "Watch the video:" in lines
    assert "Read more:" not in lines
    call_to_action = lines.index("Watch the video:")
    assert "utm_content=lead" in lines[call_to_action + 1]


def test_article_lead_still_reads_as_an_article(issue_dir: Path):
    rendered, _ = render_folder(issue_dir)
    lead = _lead_block(rendered.html)
    assert "Read the full story" in lead.text_content()
    assert "Video" not in lead.text_content()
    assert not [img for img in lead.xpath(".//img") if "(play video)" in (img.get("alt") or "")]
