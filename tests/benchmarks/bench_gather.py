"""Gathering 50 local feeds of 100 entries each (RSS with Media RSS and full texts, Atom, JSON Feed).

Target: the whole set in under 2 s, and at most 1.3x the floor. Two cases: a realistic week (the
feeds span three weeks, so most entries fall outside the issue's week and are pruned before
feedparser reads them), and the worst case, every entry inside the window. The RSS items carry
their whole article in content:encoded beside the description, as WordPress feeds do.

The floor is feedparser alone reading the same files (json for the JSON Feeds), measured in the
same run: ratios against it compare across machines and survive a shared one. gather_week is
timed as it runs (worker processes on this machine's cores) and in one process by CPU time, which
a busy machine disturbs least; the load average is printed beside the figures.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser

from digest.gather import GatherOptions, GatherResult, Window, gather_week, week_window
from digest.model import Source, SourceKind, SourceRules

FEEDS = 50
ENTRIES = 100
ROUNDS = 3
TARGET_SECONDS = 2.0
TARGET_RATIO = 1.3
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


def _article(feed: int, entry: int) -> str:
    """The whole post, as WordPress puts it in content:encoded: a dozen paragraphs, a picture."""
    paragraphs = "".join(
        f"<p>Paragraph {n} of story {entry}: the harbour master told the council that the dredging "
        f"would take {n + 2} weeks, and that the ferry would run to a reduced timetable meanwhile.</p>\n"
        for n in range(12)
    )
    return f'<p><img src="https://cdn.outlet{feed}.example/{entry}-inline.jpg" width="800"></p>\n{paragraphs}'


def _rss(feed: int) -> bytes:
    items = "".join(
        f"""<item><title>Outlet {feed} story {entry} &amp; the harbour</title>
<link>https://outlet{feed}.example/news/{entry}/harbour-story-{entry}?utm_source=rss</link>
<guid isPermaLink="false">o{feed}-{entry}</guid><dc:creator>Reporter {entry % 9}</dc:creator>
<category>{"Sponsored" if entry % 25 == 0 else "Local"}</category>
<pubDate>{_when(feed, entry):%a, %d %b %Y %H:%M:%S +0000}</pubDate>
<description>{escape(_summary(feed, entry))}</description>
<content:encoded><![CDATA[{_article(feed, entry)}]]></content:encoded>
<media:content url="https://cdn.outlet{feed}.example/{entry}-1200.jpg" medium="image"
 width="1200" height="800"><media:description>Caption for story {entry}</media:description>
<media:credit>Photographer {entry % 5}</media:credit></media:content>
<media:thumbnail url="https://cdn.outlet{feed}.example/{entry}-150.jpg" width="150" height="100"/>
</item>"""
        for entry in range(ENTRIES)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
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


def _floor_seconds(paths: list[Path]) -> tuple[float, float]:
    """feedparser reading every XML feed (as the reader calls it) and json every JSON Feed, in one
    process: the floor any feed reader on feedparser stands on. Wall and CPU seconds (medians)."""
    bodies = [(p.suffix, p.read_bytes()) for p in paths]
    walls, cpus = [], []
    for _ in range(ROUNDS):
        started, cpu = time.perf_counter(), time.process_time()
        for suffix, body in bodies:
            if suffix == ".json":
                json.loads(body)
            else:
                feedparser.parse(io.BytesIO(body), resolve_relative_uris=False, sanitize_html=False)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _measure(
    sources: list[Source], window: Window, options: GatherOptions
) -> tuple[float, float, GatherResult]:
    """Wall and CPU seconds (medians; CPU counts this process only, so only in one process)."""
    walls, cpus = [], []
    result = None
    for _ in range(ROUNDS):
        started, cpu = time.perf_counter(), time.process_time()
        result = gather_week(sources, window, options=options, now=NOW)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    assert result is not None and not result.failed
    return statistics.median(walls), statistics.median(cpus), result


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write_feeds(Path(tmp))
        size = sum(p.stat().st_size for p in paths)
        rules = SourceRules(sponsored_if_category=("Sponsored",))
        sources = [Source(kind=SourceKind.FEED, location=str(p), rules=rules) for p in paths]
        gather_week(sources[:2], WEEK, now=NOW)  # warm imports
        floor_wall, floor_cpu = _floor_seconds(paths)
        print(f"{FEEDS} feeds x {ENTRIES} entries ({size / 1e6:.1f} MB, 35 RSS + 10 Atom + 5 JSON Feed)")
        print(f"floor (feedparser alone): {floor_wall:.3f} s wall, {floor_cpu:.3f} s CPU ({_load()})")
        cases = (
            ("the issue's week (entries spread over 3 weeks)", WEEK),
            ("every entry in the window (nothing to prune): the worst case", EVERYTHING),
        )
        for label, window in cases:
            wall, _, result = _measure(sources, window, GatherOptions())
            _, cpu, _ = _measure(sources, window, GatherOptions(workers=1))
            in_window = sum(r.in_window for r in result.report)
            verdict = "within" if wall < TARGET_SECONDS and wall / floor_wall <= TARGET_RATIO else "OVER"
            print(f"\n{label}: {in_window} entries in the window, {len(result.stories)} stories")
            print(
                f"  gather_week {wall:.3f} s (median of {ROUNDS}), {FEEDS * ENTRIES / wall:,.0f} entries/s, "
                f"{wall / floor_wall:.2f}x the floor; target {TARGET_SECONDS:g} s and {TARGET_RATIO:g}x: "
                f"{verdict} ({_load()})"
            )
            print(f"  in one process: {cpu:.3f} s CPU, {cpu / floor_cpu:.2f}x the floor's CPU ({_load()})")


if __name__ == "__main__":
    main()
