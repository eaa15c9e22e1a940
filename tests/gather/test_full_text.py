"""A post's full text (content:encoded) beside its description: read by lxml, not by feedparser,
with the same stories as when feedparser read it."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from digest.gather import GatherResult, Window, gather_week
from digest.gather.readers.feed_tree import FeedTree
from digest.model import Source, SourceKind

WINDOW = Window(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 1, 8, tzinfo=dt.UTC))
NOW = dt.datetime(2025, 1, 7, 12, tzinfo=dt.UTC)
IMAGE = '<p><img src="https://cdn.example/{n}.jpg" alt="Photo {n}" width="640"></p>'


def rss(items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>Blog</title><link>https://blog.example/</link>{items}</channel></rss>"
    ).encode()


def item(n: int, inside: str) -> str:
    return (
        f"<item><title>Post {n}</title><link>https://blog.example/{n}/a-post-about-harbours</link>"
        f"<pubDate>Mon, 06 Jan 2025 {10 + n // 60}:{n % 60:02d}:00 +0000</pubDate>{inside}</item>"
    )


def full(n: int, extra: str = "") -> str:
    return (
        f"<content:encoded><![CDATA[{IMAGE.format(n=n)}<p>The whole post {n}.{extra}</p>]]></content:encoded>"
    )


# Every shape of summary and full text an item may have; the first ones are taken out, the rest
# are left to feedparser (each must still read as feedparser reads it).
ITEMS = [
    f"<description>Short {0}.</description>{full(0)}",
    f"{full(1)}<description>Full text first.</description>",
    f"<description>&lt;p&gt;Escaped &amp;amp; {2}&lt;/p&gt;</description>{full(2, ' CafÃ© au lait.')}",
    f"<description>With a picture.</description>{full(3)}"
    "<media:content url='https://cdn.example/m3.jpg' medium='image'/>",
    f"<description>   </description>{full(4)}",
    full(5),
    f"<itunes:summary>Podcast.</itunes:summary><description>Both.</description>{full(6)}",
    f"<description>Typed.</description><content:encoded type='text/plain'>Plain {7}</content:encoded>",
    f"<description>Twice.</description>{full(8)}{full(80)}",
    "<description>Markup.</description><content:encoded><p>Bare <b>9</b></p></content:encoded>",
]


# Dates, guids and links in every arrangement: taken where it changes nothing, else left.
LINK, DATE = (
    "<link>https://blog.example/{n}/post</link>",
    "<pubDate>Mon, 06 Jan 2025 09:{n:02d}:00 GMT</pubDate>",
)
SHAPES = [
    "<guid>https://blog.example/{n}/guid</guid>" + LINK + DATE,
    "<guid>https://blog.example/{n}/guid-is-the-link</guid>" + DATE,
    LINK + "<link></link><guid>https://blog.example/{n}/guid</guid>" + DATE,
    LINK + "<atom:link href='https://blog.example/{n}/atom'/><guid>https://blog.example/{n}/g</guid>" + DATE,
    LINK + DATE + "<dc:date>2025-01-05T08:00:00Z</dc:date>",
    LINK + "<dc:date>2025-01-05T08:{n:02d}:00Z</dc:date>",
    LINK + "<pubDate>yesterday</pubDate>",
    LINK + "<pubDate>Mon, 06 Jan 2025 09:{n:02d}:00 GMT\u00a0</pubDate>",
    LINK + "<pubDate>  Mon, 06 Jan 2025 09:{n:02d}:00 -0500\n</pubDate>",
]


def gather(path: Path) -> GatherResult:
    return gather_week([Source(kind=SourceKind.FEED, location=str(path))], WINDOW, now=NOW)


def test_the_stories_are_those_feedparser_makes_of_the_whole_feed(tmp_path: Path, monkeypatch):
    path = tmp_path / "blog.rss"
    path.write_bytes(rss("".join(item(n, inside) for n, inside in enumerate(ITEMS))))
    tree = FeedTree.parse(path.read_bytes())
    assert tree is not None and tree.strip_media()  # as the reader does first
    assert [bool(t.full_text) for t in tree.lighten()] == [True] * 4 + [False] * 6
    fast = gather(path)
    monkeypatch.setattr(FeedTree, "lighten", lambda self: [])  # feedparser reads everything
    whole = gather(path)
    assert fast.stories == whole.stories and len(fast.stories) == len(ITEMS)
    assert fast.report == whole.report
    pictures = {s.title: s.image.url for s in fast.stories if s.image}
    assert pictures["Post 0"] == "https://cdn.example/0.jpg"  # from the full text taken out
    assert pictures["Post 3"] == "https://cdn.example/m3.jpg"


def test_dates_guids_and_links_read_as_feedparser_reads_them(tmp_path: Path, monkeypatch):
    path = tmp_path / "shapes.rss"
    items = (
        f"<item><title>Shape {n}</title><description>Short.</description>{shape.format(n=n)}</item>"
        for n, shape in enumerate(SHAPES)
    )
    path.write_bytes(rss("".join(items)))
    fast = gather(path)
    monkeypatch.setattr(FeedTree, "lighten", lambda self: [])
    whole = gather(path)
    assert fast.stories == whole.stories and fast.report == whole.report
    assert len(fast.stories) == len(SHAPES) - 1  # shape 2: feedparser keeps the later, empty link
    assert {s.title: s.url for s in fast.stories}["Shape 1"] == "https://blog.example/1/guid-is-the-link"


def _cpu_seconds(path: Path) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        assert len(gather(path).stories) == 100
        best = min(best, time.process_time() - started)
    return best


def test_a_long_full_text_beside_a_description_costs_little(tmp_path: Path):
    """WordPress sends every article whole: 100 posts of 1,500 lines each cost about what the
    same posts cost without them (feedparser took a Python call per line of them)."""
    article = "".join(f"<p>Line {n} of the article, about the harbour.</p>\n" for n in range(1500))
    described = "<description>The post in short.</description>"
    plain, whole = tmp_path / "plain.rss", tmp_path / "whole.rss"
    plain.write_bytes(rss("".join(item(n, described) for n in range(100))))
    whole.write_bytes(
        rss(
            "".join(
                item(n, f"{described}<content:encoded><![CDATA[{article}]]></content:encoded>")
                for n in range(100)
            )
        )
    )
    assert _cpu_seconds(whole) < 2.0 * _cpu_seconds(plain) + 0.05
