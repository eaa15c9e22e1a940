"""Gathering 50 local feeds of 100 entries each (RSS with Media RSS, Atom, JSON Feed): entries/s.

Target: the whole set in under 2 s. Two cases: a realistic week (the feeds span three weeks,
so most entries fall outside the issue's week and are pruned before feedparser reads them),
and the worst case, every entry inside the window. The reference is lxml/json parsing the same
bytes (no feed logic at all), measured in the same process, so ratios compare across machines
(and survive a machine shared with other work).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from digest.gather import GatherOptions, GatherResult, Window, gather_week, week_window
from digest.model import Source, SourceKind, SourceRules

FEEDS = 50
ENTRIES = 100
ROUNDS = 5
TARGET_SECONDS = 2.0
WEEK = week_window(dt.date(2025, 1, 8), "America/New_York")
NOW = dt.datetime(2025, 1, 7, 12, tzinfo=dt.UTC)
EVERYTHING = Window(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def _when(feed: int, entry: int) -> dt.datetime:
    # Spread over three weeks, so about a third of the entries fall in the week.
    return dt.datetime(2024, 12, 20, tzinfo=dt.UTC) + dt.timedelta(minutes=(entry * 431 + feed * 17) % 30240)


def _summary(feed: int, entry: int) -> str:
    return (
        f"<p>Story {entry} from outlet {feed}: the council met on Tuesday to discuss the harbour, "
        f'the ferry timetable and <a href="/topics/{entry % 7}">the budget</a>. '
        f"<em>Residents</em> were not impressed.</p><p>A second paragraph with more detail.</p>"
    )


def _rss(feed: int) -> bytes:
    items = "".join(
        f"""<item><title>Outlet {feed} story {entry} &amp; the harbour</title>
<link>https://outlet{feed}.example/news/{entry}/harbour-story-{entry}?utm_source=rss</link>
<guid isPermaLink="false">o{feed}-{entry}</guid><dc:creator>Reporter {entry % 9}</dc:creator>
<category>{"Sponsored" if entry % 25 == 0 else "Local"}</category>
<pubDate>{_when(feed, entry):%a, %d %b %Y %H:%M:%S +0000}</pubDate>
<description>{escape(_summary(feed, entry))}</description>
<media:content url="https://cdn.outlet{feed}.example/{entry}-1200.jpg" medium="image"
 width="1200" height="800"><media:description>Caption for story {entry}</media:description>
<media:credit>Photographer {entry % 5}</media:credit></media:content>
<media:thumbnail url="https://cdn.outlet{feed}.example/{entry}-150.jpg" width="150" height="100"/>
</item>"""
        for entry in range(ENTRIES)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>{items}</channel></rss>"
    ).encode()


def _atom(feed: int) -> bytes:
    entries = "".join(
        f"""<entry><title type="html">Outlet {feed} story {entry} &amp;amp; the quay</title>
<link rel="alternate" href="https://outlet{feed}.example/{entry}/quay-story-{entry}/"/>
<id>tag:outlet{feed}.example,2025:{entry}</id><published>{_when(feed, entry).isoformat()}</published>
<author><name>Reporter {entry % 9}</name></author><category term="Local"/>
<summary type="html">{escape(_summary(feed, entry))}</summary></entry>"""
        for entry in range(ENTRIES)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>Outlet {feed}</title><link href="https://outlet{feed}.example/"/><id>urn:outlet{feed}</id>'
        f"<updated>2025-01-07T00:00:00Z</updated>{entries}</feed>"
    ).encode()


def _json(feed: int) -> bytes:
    items = [
        {
            "id": f"{feed}-{entry}",
            "url": f"https://outlet{feed}.example/notes/{entry}/note-{entry}",
            "title": f"Outlet {feed} note {entry}",
            "content_html": _summary(feed, entry),
            "image": f"https://cdn.outlet{feed}.example/{entry}.jpg",
            "date_published": _when(feed, entry).isoformat(),
            "authors": [{"name": f"Reporter {entry % 9}"}],
            "tags": ["Local"],
        }
        for entry in range(ENTRIES)
    ]
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": f"Outlet {feed}", "items": items}
    ).encode()


def _write_feeds(folder: Path) -> list[Path]:
    paths = []
    for feed in range(FEEDS):
        kind = "json" if feed % 10 == 9 else "atom" if feed % 5 == 4 else "rss"
        body = {"rss": _rss, "atom": _atom, "json": _json}[kind](feed)
        path = folder / f"outlet-{feed:02d}.{kind}"
        path.write_bytes(body)
        paths.append(path)
    return paths


def _reference_seconds(paths: list[Path]) -> float:
    """lxml parsing the XML feeds and json parsing the JSON ones: the floor any reader stands on."""
    bodies = [(p.suffix, p.read_bytes()) for p in paths]
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for suffix, body in bodies:
            json.loads(body) if suffix == ".json" else etree.fromstring(body)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _measure(sources: list[Source], window: Window) -> tuple[float, GatherResult]:
    samples = []
    result = None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        result = gather_week(sources, window, options=GatherOptions(), now=NOW)
        samples.append(time.perf_counter() - started)
    assert result is not None and not result.failed
    return statistics.median(samples), result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write_feeds(Path(tmp))
        size = sum(p.stat().st_size for p in paths)
        rules = SourceRules(sponsored_if_category=("Sponsored",))
        sources = [Source(kind=SourceKind.FEED, location=str(p), rules=rules) for p in paths]
        reference = _reference_seconds(paths)
        gather_week(sources[:2], WEEK, now=NOW)  # warm imports
        entries = FEEDS * ENTRIES
        print(f"{FEEDS} feeds x {ENTRIES} entries ({size / 1e6:.1f} MB, 35 RSS + 10 Atom + 5 JSON Feed)")
        print(f"reference (lxml/json parse of the same bytes): {reference * 1e3:.1f} ms")
        cases = (
            ("the issue's week (entries spread over 3 weeks)", WEEK),
            ("every entry in the window (nothing to prune)", EVERYTHING),
        )
        for label, window in cases:
            seconds, result = _measure(sources, window)
            in_window = sum(r.in_window for r in result.report)
            verdict = "within" if seconds < TARGET_SECONDS else "OVER"
            print(f"\n{label}: {in_window} entries in the window, {len(result.stories)} stories")
            print(
                f"  gather_week {seconds:.3f} s (median of {ROUNDS}), {entries / seconds:,.0f} entries/s, "
                f"{seconds / reference:.1f}x reference; target {TARGET_SECONDS:g} s: {verdict} "
                f"({seconds / TARGET_SECONDS:.0%})"
            )


if __name__ == "__main__":
    main()
