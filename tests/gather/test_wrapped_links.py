"""Links real feeds wrap (issue 12, item 8): FeedBurner's feedproxy links give way to the entry's
feedburner:origLink, and Google Alerts' google.com/url?…&url=… redirects are unwrapped (others
through `[gather] redirectors`)."""

from __future__ import annotations

from pathlib import Path

from digest.gather import gather_week
from digest.model import Source, SourceKind, SourceRules
from tests.gather.test_gather_feeds import NOW, WEEK

FEEDBURNER = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel><title>Harbour Notes</title><link>https://harbour-notes.example/</link>
<item>
  <title>The ferry timetable changes on Monday</title>
  <link>http://feedproxy.google.com/~r/HarbourNotes/~3/AbCdEf123/</link>
  <feedburner:origLink>https://harbour-notes.example/2025/01/ferry-timetable</feedburner:origLink>
  <description>New crossings at dawn and dusk.</description>
  <pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate>
</item>
</channel></rss>
"""

GOOGLE_ALERTS = """\
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>tag:google.com,2005:reference/alerts/1</id><title>Google Alert - harbour</title>
<updated>2025-01-06T10:00:00Z</updated>
<entry>
  <id>tag:google.com,2013:googlealerts/feed:1</id>
  <title type="html">New &lt;b&gt;harbour&lt;/b&gt; wall approved</title>
  <link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://coast-daily.example/news/harbour-wall%3Fref%3Dhome&amp;ct=ga&amp;cd=CAE&amp;usg=AOv"/>
  <published>2025-01-06T10:00:00Z</published><updated>2025-01-06T10:00:00Z</updated>
  <content type="html">The council approved the wall.</content>
</entry>
<entry>
  <id>tag:google.com,2013:googlealerts/feed:2</id>
  <title type="html">Harbour festival dates set</title>
  <link href="https://links.newsletter-tool.example/click?u=https://coast-daily.example/festival"/>
  <published>2025-01-06T11:00:00Z</published><updated>2025-01-06T11:00:00Z</updated>
  <content type="html">Three days in June.</content>
</entry>
</feed>
"""


def _source(path: Path, **rules: object) -> Source:
    return Source(kind=SourceKind.FEED, location=str(path), name=path.name, rules=SourceRules(**rules))  # type: ignore[arg-type]


def test_feedburner_entries_link_to_the_original_page(tmp_path: Path):
    path = tmp_path / "feedburner.rss"
    path.write_text(FEEDBURNER, encoding="utf-8")
    (story,) = gather_week([_source(path)], WEEK, now=NOW).stories
    assert story.url == "https://harbour-notes.example/2025/01/ferry-timetable"
    assert story.id == "ferry-timetable"


def test_google_alerts_links_are_unwrapped(tmp_path: Path):
    path = tmp_path / "alerts.atom"
    path.write_text(GOOGLE_ALERTS, encoding="utf-8")
    urls = {s.title: s.url for s in gather_week([_source(path)], WEEK, now=NOW).stories}
    assert urls["New harbour wall approved"] == "https://coast-daily.example/news/harbour-wall?ref=home"
    # An unknown redirector stays as it is…
    assert urls["Harbour festival dates set"].startswith("https://links.newsletter-tool.example/click")


def test_more_redirectors_come_from_the_settings(tmp_path: Path):
    path = tmp_path / "alerts.atom"
    path.write_text(GOOGLE_ALERTS, encoding="utf-8")
    source = _source(path, redirectors=("links.newsletter-tool.example/click",))
    urls = {s.title: s.url for s in gather_week([source], WEEK, now=NOW).stories}
    assert urls["Harbour festival dates set"] == "https://coast-daily.example/festival"


CODED_LINKS = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Shortlinks</title><link>https://short.example/</link>
<item><title>Harbour wall: the vote, explained</title><link>https://short.example/p/qd4-6p5xjjw</link>
<pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate></item>
</channel></rss>
"""


def test_a_link_ending_in_a_code_gives_an_id_from_the_title(tmp_path: Path):
    """Editors type ids into issue.toml (issue 12, item 9): `qd4-6p5xjjw` is no id to type; the
    title's slug is, and it stays the same on every run for the same entry."""
    path = tmp_path / "coded.rss"
    path.write_text(CODED_LINKS, encoding="utf-8")
    first = gather_week([_source(path)], WEEK, now=NOW).stories
    again = gather_week([_source(path)], WEEK, now=NOW).stories
    assert [s.id for s in first] == [s.id for s in again] == ["harbour-wall-the-vote-explained"]


def test_blank_lines_before_the_xml_declaration_are_no_warning(tmp_path: Path):
    """A harmless slip (issue 12, item 12) used to warn on every command; only problems that change
    what was read are reported."""
    path = tmp_path / "blank-first.rss"
    path.write_bytes(b"\n\n  " + FEEDBURNER.encode("utf-8"))
    result = gather_week([_source(path)], WEEK, now=NOW)
    assert [s.id for s in result.stories] == ["ferry-timetable"]
    assert list(result.problems()) == []


def test_a_feed_that_really_is_broken_still_warns(tmp_path: Path):
    path = tmp_path / "broken.rss"
    path.write_text(FEEDBURNER.replace("</channel></rss>", "<item><title>cut off"), encoding="utf-8")
    result = gather_week([_source(path)], WEEK, now=NOW)
    assert any("feed has errors" in line for line in result.problems())
