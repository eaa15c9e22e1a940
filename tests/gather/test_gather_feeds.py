"""From real-world-shaped feeds to stories: titles, summaries, images, kinds, dates, encodings."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from digest.gather import GatherResult, gather_week, week_window
from digest.gather.readers.summary import SUMMARY_CHARACTERS
from digest.model import Source, SourceKind, SourceRules, Story, StoryKind

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"
# Meridian's issue of Wednesday 8 January 2025: the week is 1-7 January, New York time.
WEEK = week_window(dt.date(2025, 1, 8), "America/New_York")
NOW = dt.datetime(2025, 1, 7, 12, 0, tzinfo=dt.UTC)
ALLOWED_TAGS = {"p", "a", "em", "strong", "br", "ul", "ol", "li"}


def feed(name: str, **rules) -> Source:
    return Source(kind=SourceKind.FEED, location=str(FEEDS / name), name=name, rules=SourceRules(**rules))


def gather(*sources: Source) -> GatherResult:
    return gather_week(sources, WEEK, now=NOW)


def by_id(result: GatherResult) -> dict[str, Story]:
    return {s.id: s for s in result.stories}


def tags_in(html: str) -> set[str]:
    return {t.lower() for t in re.findall(r"<\s*([a-zA-Z0-9]+)", html)}


class TestNewsSiteRss:
    @pytest.fixture(scope="class")
    @classmethod
    def stories(cls) -> dict[str, Story]:
        return by_id(gather(feed("meridian-world.rss", sponsored_if_category=("Sponsored",))))

    def test_title_decodes_entities(self, stories):
        lead = stories["kremlin-recruits-central-asia"]
        assert lead.title == "Kremlin recruits soldiers across Central Asia — and its neighbours push back"

    def test_link_loses_tracking_parameters(self, stories):
        url = stories["kremlin-recruits-central-asia"].url
        assert url == "https://www.meridian-media.example/world/2025/01/07/kremlin-recruits-central-asia/"

    def test_summary_is_sanitised_with_links_made_absolute(self, stories):
        summary = stories["kremlin-recruits-central-asia"].summary
        assert tags_in(summary) <= ALLOWED_TAGS
        assert "script" not in summary and "onclick" not in summary and "evil.example" not in summary
        assert '<a href="https://www.meridian-media.example/world/russia">More on Russia</a>' in summary
        assert "<strong>prosecuting</strong>" in summary

    def test_teaser_is_plain_text_cut_at_a_word(self, stories):
        teaser = stories["kremlin-recruits-central-asia"].teaser
        assert teaser.startswith("Moscow is looking next door for soldiers")
        assert teaser.endswith("…") and len(teaser) <= 161 and "<" not in teaser
        assert not teaser[:-1].endswith(" ")

    def test_largest_media_content_wins_with_its_own_caption_and_credit(self, stories):
        image = stories["kremlin-recruits-central-asia"].image
        assert image is not None
        assert image.url == "https://cdn.meridian-media.example/2025/01/kremlin-recruits-1280.jpg"
        assert image.caption == "Recruits at a Moscow enlistment centre, December 2024."
        assert image.credit == "Yuri Kadobnov / AFP via Getty Images"
        assert image.alt == "Recruits queue outside an enlistment centre in Moscow"

    def test_credit_without_caption(self, stories):
        image = stories["europe-pushes-back-on-musk"].image
        assert image is not None and image.credit == "Kay Nietfeld / dpa" and image.caption == ""

    def test_sponsored_by_category_names_the_sponsor(self, stories):
        story = stories["northwind-small-exporters"]
        assert story.kind is StoryKind.SPONSORED
        assert story.sponsor == "Northwind Bank"
        assert story.section == ""  # "Sponsored" is the rule's category, not a section

    def test_image_enclosure(self, stories):
        image = stories["northwind-small-exporters"].image
        assert image is not None
        assert image.url == "https://cdn.meridian-media.example/partners/northwind-exporters.jpg"

    def test_relative_link_and_first_real_img_resolved_against_the_feed_link(self, stories):
        story = stories["treasury-sanctions-election-ai"]
        assert (
            story.url == "https://www.meridian-media.example/world/2025/01/05/treasury-sanctions-election-ai"
        )
        assert story.image is not None
        # the 1x1 tracking pixel before it is not a photo
        assert story.image.url == "https://www.meridian-media.example/images/2025/01/treasury.jpg"
        assert story.image.alt == "The Treasury building in Washington"
        assert story.summary == "<p>The sanctions target two groups accused of using AI to sway voters.</p>"

    def test_media_video_is_a_video_with_its_thumbnail_and_duration(self, stories):
        story = stories["world-in-60-2025-01-07"]
        assert story.kind is StoryKind.VIDEO
        assert story.duration == "1:02"
        assert story.image is not None
        assert story.image.url == "https://cdn.meridian-media.example/video/world-in-60-2025-01-07.jpg"
        assert story.image.caption == "Presenter Dana Reyes in the Meridian studio."
        assert story.image.credit == "Meridian Video"

    def test_published_keeps_its_offset(self, stories):
        published = stories["kremlin-recruits-central-asia"].published
        assert published == dt.datetime(2025, 1, 7, 16, 0, tzinfo=dt.UTC)
        assert published.utcoffset() == dt.timedelta(hours=-5)

    def test_author_and_section(self, stories):
        story = stories["kremlin-recruits-central-asia"]
        assert (story.author, story.section) == ("Anna Petrova", "World")

    def test_only_the_week(self, stories):
        assert "elections-year-in-review" not in stories
        assert not any("briefing" in s.url for s in stories.values())

    def test_report(self):
        (report,) = gather(feed("meridian-world.rss", sponsored_if_category=("Sponsored",))).report
        assert (report.fetched, report.format, report.parsed, report.in_window, report.kept) == (
            "file",
            "rss/atom",
            7,
            5,
            5,
        )
        assert dict(report.dropped) == {"published before the week": 1, "published after the week": 1}
        assert not report.failed and report.warnings == ()


class TestSponsoredRules:
    def test_title_pattern_with_configured_sponsor(self):
        rules = {"sponsored_if_match": re.compile(r"^sponsored:", re.IGNORECASE), "sponsor": "Northwind"}
        stories = by_id(gather(feed("meridian-world.rss", **rules)))
        assert stories["northwind-small-exporters"].kind is StoryKind.SPONSORED
        assert stories["northwind-small-exporters"].sponsor == "Northwind"
        assert stories["europe-pushes-back-on-musk"].kind is StoryKind.ARTICLE

    def test_url_pattern(self):
        stories = by_id(gather(feed("meridian-world.rss", sponsored_if_match=re.compile("/partners/"))))
        assert [s.id for s in stories.values() if s.is_sponsored] == ["northwind-small-exporters"]

    def test_without_a_rule_nothing_is_sponsored(self):
        stories = gather(feed("meridian-world.rss")).stories
        assert not any(s.is_sponsored for s in stories)

    def test_sponsored_entry_without_any_sponsor_name_is_dropped_with_a_reason(self):
        result = gather(feed("meridian-world.rss", sponsored_if_category=("Video",)))
        assert "world-in-60-2025-01-07" not in by_id(result)
        reason = "sponsored, but no sponsor name (set sponsor for the source)"
        assert dict(result.report[0].dropped)[reason] == 1


class TestAtom:
    @pytest.fixture(scope="class")
    @classmethod
    def stories(cls) -> dict[str, Story]:
        return by_id(gather(feed("harbour-gazette.atom")))

    def test_html_title_is_stripped_and_decoded(self, stories):
        assert stories["ferry-fares"].title == "Ferry fares rise & timetables shrink"

    def test_text_title_keeps_its_angle_brackets(self, stories):
        title = stories["noticeboard-style"].title
        assert title == "Use <blink> sparingly: a style guide for the harbour noticeboard"

    def test_summary_preferred_to_content_and_links_resolved(self, stories):
        summary = stories["ferry-fares"].summary
        assert "Take our survey" in summary and "The full report" not in summary
        assert 'href="https://harbour-gazette.example/2025/01/ferry-survey/"' in summary

    def test_image_from_content_relative_to_the_site(self, stories):
        image = stories["ferry-fares"].image
        assert image is not None and image.alt == "The 07:40 ferry leaving the quay"
        assert image.url.startswith("https://harbour-gazette.example/") and image.url.endswith("ferry.jpg")

    def test_xhtml_content_when_there_is_no_summary(self, stories):
        summary = stories["noticeboard-style"].summary
        assert summary == "<p>Plain text titles may contain angle brackets; they are not markup.</p>"

    def test_updated_stands_in_for_published(self, stories):
        assert stories["noticeboard-style"].published == dt.datetime(2025, 1, 4, 11, 0, tzinfo=dt.UTC)

    def test_category_label_and_author(self, stories):
        assert stories["ferry-fares"].section == "transport"
        assert stories["ferry-fares"].author == "Tom Pascoe"


class TestJsonFeed:
    @pytest.fixture(scope="class")
    @classmethod
    def result(cls) -> GatherResult:
        return gather(feed("field-notes.json"))

    def test_item_with_summary_image_tags_and_authors(self, result):
        story = by_id(result)["seagrass-is-quietly-coming-back"]
        assert story.summary == "<p>Meadows off the south coast have doubled in five years, divers say.</p>"
        assert (
            story.image is not None
            and story.image.url == "https://fieldnotes.example/media/seagrass-1600.jpg"
        )
        assert (story.author, story.section) == ("Priya Raman", "Environment")
        assert story.published == dt.datetime(2025, 1, 4, 9, 30, tzinfo=dt.UTC)

    def test_untitled_item_takes_its_first_words_as_title(self, result):
        story = next(s for s in result.stories if s.url.endswith("/notes/2025-01-06"))
        assert story.title.startswith("Short note without a title: the kingfisher is back")
        assert story.title.endswith("…") and len(story.title) <= 91
        assert story.summary.count("<p>") == 2

    def test_image_attachment(self, result):
        story = by_id(result)["podcast-12-listening-to-coral"]
        assert (
            story.image is not None and story.image.url == "https://fieldnotes.example/podcast/12-cover.png"
        )

    def test_undated_item_gets_the_first_seen_time_and_a_warning(self, result):
        story = by_id(result)["undated-letter"]
        assert story.published == NOW
        (report,) = result.report
        assert any("no date" in w and "first saw" in w for w in report.warnings)

    def test_invalid_item_is_dropped_not_fatal(self, result):
        (report,) = result.report
        assert report.format == "jsonfeed"
        assert (report.parsed, report.kept) == (5, 4)
        assert dict(report.dropped) == {"invalid item (title: Input should be a valid string)": 1}


class TestEncodings:
    def test_latin2(self):
        stories = by_id(gather(feed("gazeta-portowa-latin2.rss")))
        story = stories["zurawie-rekordowy-grudzien"]
        assert story.title == "Żurawie w porcie: rekordowy grudzień w Gdańsku"
        assert story.author == "Łukasz Śliwiński"
        assert "Zażółć gęślą jaźń" in story.summary
        czech = stories["czeski-przewoznik"]
        assert czech.title == "Příliš žluťoučký kůň: czeski przewoźnik wraca na Bałtyk"
        assert czech.teaser == "Přístav v Gdyni vítá nové spojení; úpěl ďábelské ódy."

    def test_gb2312(self):
        stories = by_id(gather(feed("gangkou-ribao-gb2312.rss")))
        story = stories["shanghai-port-record"]
        assert story.title == "上海港集装箱吞吐量再创新高"
        assert story.author == "王小明"  # from "news@… (王小明)"
        assert story.section == "航运"
        assert "连续十五年位居世界第一" in story.summary
        assert story.published == dt.datetime(2025, 1, 5, 2, 0, tzinfo=dt.UTC)
        assert any(s.title == "宁波舟山港开通新航线" for s in stories.values())


class TestBrokenMarkup:
    def test_entries_are_used_with_a_warning(self):
        result = gather(feed("tidewater-broken.rss"))
        (report,) = result.report
        assert not report.failed
        assert report.parsed == 3
        assert len(report.warnings) == 1 and report.warnings[0].startswith("feed has errors (")
        story = by_id(result)["lifeboat-open-day"]
        assert story.summary == "<p>Tours of the Tamar-class boat &amp; a cream tea.</p>"
        assert (
            story.image is not None and story.image.url == "https://tidewater-press.example/img/lifeboat.jpg"
        )

    def test_html_page_is_not_a_feed(self):
        (report,) = gather(feed("not-a-feed.html")).report
        assert report.failed and report.error.startswith("not a feed")


class TestYouTube:
    @pytest.fixture(scope="class")
    @classmethod
    def stories(cls) -> dict[str, Story]:
        return by_id(gather(feed("youtube-channel.xml")))

    def test_every_upload_is_a_video(self, stories):
        assert len(stories) == 2
        assert all(s.kind is StoryKind.VIDEO for s in stories.values())

    def test_thumbnail_not_the_flash_player(self, stories):
        story = stories["why-central-asia-is-saying-no-to-moscow-world-in-60"]
        assert story.image is not None
        assert story.image.url == "https://i4.ytimg.com/vi/dQ7nW0xv3bM/hqdefault.jpg"
        assert story.image.caption == ""  # the description is the summary, not a caption

    def test_description_becomes_paragraphs(self, stories):
        summary = stories["why-central-asia-is-saying-no-to-moscow-world-in-60"].summary
        assert summary.startswith("<p>Moscow needs soldiers and is recruiting across Central Asia.")
        assert summary.count("<p>") == 2 and "Subscribe:" in summary

    def test_url_and_author(self, stories):
        story = stories["ces-2025-the-ai-gadgets-nobody-asked-for"]
        assert story.url == "https://www.youtube.com/watch?v=Xk2pL9aTq0Y"
        assert story.author == "Meridian Media"


def test_story_folder_is_a_source(tmp_path: Path):
    from tests.conftest import write_story

    write_story(
        tmp_path / "desk",
        "harbour-notes",
        """
        title: "Notes from the harbour desk"
        url: "https://tidewater-press.example/notes"
        published: 2025-01-06T09:00:00Z
        """,
        body="First line of a long note. " * 20,
    )
    (tmp_path / "desk" / "broken.md").write_text("---\ntitle: [unclosed\n---\nx\n", encoding="utf-8")
    source = Source(kind=SourceKind.FOLDER, location=str(tmp_path / "desk"), name="Desk")
    result = gather(source)
    (story,) = result.stories
    assert (story.id, story.source) == ("harbour-notes", "Desk")
    assert story.teaser.endswith("…") and len(story.teaser) <= 161
    (report,) = result.report
    assert report.fetched == "folder" and dict(report.dropped) == {"invalid story file": 1}
    assert report.warnings[0].startswith("skipped broken.md: front matter is not valid YAML")


RSS_1_0 = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://quay-notes.example/">
    <title>Quay Notes</title><link>https://quay-notes.example/</link><description>Notes</description>
    <items><rdf:Seq><rdf:li rdf:resource="https://quay-notes.example/tide-tables"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://quay-notes.example/tide-tables">
    <title>Tide tables for January</title>
    <link>https://quay-notes.example/tide-tables</link>
    <description>Spring tides on the 11th and 12th.</description>
    <dc:creator>Harbour Office</dc:creator>
    <dc:date>2025-01-06T07:00:00+00:00</dc:date>
  </item>
</rdf:RDF>
"""

RSS_0_91 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91"><channel><title>Film Club</title><link>https://film-club.example/</link>
<description>Films</description><language>en</language>
<item><title>Caf\xe9 society, a short film</title><link>https://vimeo.com/76979871</link>
<description>Our members' film, shot on the quay.</description></item>
</channel></rss>
"""


def test_rss_1_0_and_0_91(tmp_path: Path):
    (tmp_path / "rdf.xml").write_text(RSS_1_0, encoding="utf-8")
    (tmp_path / "old.rss").write_bytes(RSS_0_91.encode("iso-8859-1"))
    sources = [
        Source(kind=SourceKind.FEED, location=str(tmp_path / "rdf.xml"), name="rdf"),
        Source(kind=SourceKind.FEED, location=str(tmp_path / "old.rss"), name="old"),
    ]
    stories = by_id(gather(*sources))
    tide = stories["tide-tables"]
    assert (tide.title, tide.author) == ("Tide tables for January", "Harbour Office")
    assert tide.published == dt.datetime(2025, 1, 6, 7, 0, tzinfo=dt.UTC)
    film = next(s for s in stories.values() if s.source == "old")
    assert film.title == "Café society, a short film"
    assert film.kind is StoryKind.VIDEO  # a Vimeo link
    assert film.published == NOW  # RSS 0.91 items have no date: first seen


def test_no_field_of_a_feed_entry_outgrows_a_newsletter(tmp_path: Path):
    """A summary is cut to a blurb; so are a title, a caption, an alt text, a credit, an author and a
    category that run to a megabyte (issue 18: the message must stay small whatever a feed holds)."""
    huge = "word " * 200_000  # 1 MB each
    path = tmp_path / "huge.rss"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        "<title>Huge</title><link>https://huge.example/</link><item>"
        f"<title>{huge}</title><link>https://huge.example/a-story</link>"
        f"<author>x@huge.example ({huge})</author>"
        f"<category>{huge}</category><description>&lt;p&gt;{'story ' * 200_000}&lt;/p&gt;</description>"
        "<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate>"
        '<media:content url="https://huge.example/i.jpg" medium="image" width="1200">'
        f"<media:title>{huge}</media:title><media:description>{huge}</media:description>"
        f"<media:credit>{huge}</media:credit></media:content></item></channel></rss>",
        encoding="utf-8",
    )
    result = gather(Source(kind=SourceKind.FEED, location=str(path), name="huge"))
    assert not result.failed, result.problems()
    (story,) = result.stories
    image = story.image
    assert image is not None
    lines = (story.title, story.author, story.section, image.alt, image.caption, image.credit)
    assert max(len(line) for line in lines) <= SUMMARY_CHARACTERS + 1  # the "…" of a cut
    assert [line[:9] + line[-5:] for line in lines] == ["word wordword…"] * len(lines)
    assert len(story.summary) < SUMMARY_CHARACTERS * 3
