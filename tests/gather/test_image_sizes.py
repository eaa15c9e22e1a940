"""The width a feed declares for its picture reaches the story (issue 12, item 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digest.gather import gather_week, week_window
from digest.model import Image, Source, SourceKind

WEEK = week_window(dt.date(2025, 2, 3), "UTC")
NOW = dt.datetime(2025, 2, 2, 12, 0, tzinfo=dt.UTC)


def _item(pictures: str, description: str = "<p>Two early sailings go.</p>") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
  <channel><title>Quayside</title><link>https://quayside.example/</link>
    <item>
      <title>Ferry timetable changes from March</title>
      <link>https://quayside.example/news/ferry-timetable-changes</link>
      <pubDate>Sat, 01 Feb 2025 09:00:00 +0000</pubDate>
      <description><![CDATA[{description}]]></description>
      {pictures}
    </item>
  </channel>
</rss>
"""


def _image(tmp_path: Path, feed: str) -> Image | None:
    path = tmp_path / "quayside.rss"
    path.write_text(feed, encoding="utf-8")
    result = gather_week([Source(kind=SourceKind.FEED, location=str(path))], WEEK, now=NOW)
    (story,) = result.stories
    return story.image


@pytest.mark.parametrize(
    ("pictures", "url", "width"),
    [
        ('<media:thumbnail url="https://q.example/t-150.jpg" width="150" height="100"/>', "t-150.jpg", 150),
        (  # the picture before its preview, even when only the preview has a size
            '<media:content url="https://q.example/full.jpg" medium="image"/>'
            '<media:thumbnail url="https://q.example/t-150.jpg" width="150" height="100"/>',
            "full.jpg",
            0,
        ),
        (
            '<media:content url="https://q.example/a-640.jpg" medium="image" width="640" height="360"/>'
            '<media:content url="https://q.example/a-1280.jpg" medium="image" width="1280" height="720"/>',
            "a-1280.jpg",
            1280,
        ),
        ('<enclosure url="https://q.example/e.jpg" type="image/jpeg" length="1234"/>', "e.jpg", 0),
    ],
)
def test_media_rss_sizes(tmp_path: Path, pictures: str, url: str, width: int):
    image = _image(tmp_path, _item(pictures))
    assert image is not None
    assert image.url.endswith("/" + url)
    assert image.width == width


@pytest.mark.parametrize(
    ("attribute", "width"), [('width="150"', 150), ('width="150px"', 150), ('width="50%"', 0)]
)
def test_img_width_in_the_entrys_html(tmp_path: Path, attribute: str, width: int):
    description = f'<p><img src="https://q.example/inline.jpg" {attribute} alt="The ferry"/></p><p>Text.</p>'
    image = _image(tmp_path, _item("", description))
    assert image is not None and image.url == "https://q.example/inline.jpg"
    assert image.width == width
