"""UTM tagging of story links: what is added, what is never touched, and how to turn it off."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from digest.errors import ConfigError
from digest.model import LinkTagging, slot_names
from digest.pipeline import render_folder
from digest.render.links import UtmTagger, untagged
from digest.words import name_slug as slug
from tests.conftest import SAMPLE_WEEKS, write_story

TAGGER = UtmTagger(settings=LinkTagging(), source="test-weekly", campaign="2025-W06")


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_tags_a_plain_link():
    url = TAGGER.tag("https://test-press.example/news/harbour", "more-3")
    assert url == (
        "https://test-press.example/news/harbour?utm_source=test-weekly&utm_medium=email"
        "&utm_campaign=2025-W06&utm_content=more-3"
    )


def test_keeps_the_existing_query_and_fragment():
    url = TAGGER.tag("https://shop.example/p?id=7&ref=a%20b#reviews", "lead")
    assert url.startswith("https://shop.example/p?id=7&ref=a%20b&utm_source=test-weekly")
    assert url.endswith("&utm_content=lead#reviews")


def test_never_overwrites_a_parameter_the_link_has():
    url = TAGGER.tag("https://example.com/a?utm_source=partner", "more-1")
    assert query(url)["utm_source"] == ["partner"]
    assert query(url)["utm_campaign"] == ["2025-W06"]


def test_sponsor_links_with_their_own_tracking_are_left_alone():
    sponsor = "https://sponsor.example/offer?utm_campaign=spring&utm_source=meridian"
    assert TAGGER.tag(sponsor, "sponsored-1", sponsored=True) == sponsor
    plain = TAGGER.tag("https://sponsor.example/offer", "sponsored-1", sponsored=True)
    assert query(plain)["utm_content"] == ["sponsored-1"]


def test_off_switches():
    off = UtmTagger(settings=LinkTagging(enabled=False), source="s", campaign="c")
    assert off.tag("https://example.com/a", "lead") == "https://example.com/a"
    no_sponsors = UtmTagger(settings=LinkTagging(sponsored=False), source="s", campaign="c")
    assert no_sponsors.tag("https://s.example/x", "sponsored-1", sponsored=True) == "https://s.example/x"
    assert "utm_source=s" in no_sponsors.tag("https://example.com/a", "lead")


def test_only_web_links_are_tagged():
    assert TAGGER.tag("mailto:editor@example.com", "lead") == "mailto:editor@example.com"


_query_values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@given(
    path=st.text(alphabet="abcdefghij/-_.~%20", max_size=20),
    params=st.lists(
        st.tuples(st.sampled_from(["id", "ref", "utm_source", "q", "v"]), _query_values), max_size=4
    ),
    fragment=st.text(alphabet="abcxyz-", max_size=8),
    sponsored=st.booleans(),
)
def test_tagging_only_ever_appends(path, params, fragment, sponsored):
    from urllib.parse import urlencode

    base = f"https://news.example/{path}"
    existing = urlencode(params)
    url = base + (f"?{existing}" if existing else "") + (f"#{fragment}" if fragment else "")
    tagged = TAGGER.tag(url, "more-2", sponsored=sponsored)
    before, after = urlsplit(url), urlsplit(tagged)
    assert after.path == before.path and after.fragment == before.fragment
    assert after.query.startswith(before.query), "the story's own query string stays byte for byte"
    for key, values in query(url).items():
        assert query(tagged)[key] == values, "no parameter the link had is changed"
    assert untagged(tagged) == untagged(url)


def test_slots_name_lead_positions_and_sponsors():
    rendered, _ = render_folder(SAMPLE_WEEKS["meridian"])
    slots = slot_names(rendered.issue.lead, rendered.issue.more_from)
    assert slots[rendered.issue.lead.id] == "lead"
    assert [slots[s.id] for s in rendered.issue.more_from] == [
        "more-1",
        "more-2",
        "sponsored-1",
        "more-4",
        "more-5",
        "sponsored-2",
        "more-7",
    ]


def test_sample_week_links_are_tagged_in_both_parts():
    rendered, _ = render_folder(SAMPLE_WEEKS["tidewater"])
    doc = lxml_html.document_fromstring(rendered.html)
    lead_links = {a.get("href") for a in doc.xpath("//a[@href]") if "seagrass-returns" in a.get("href")}
    assert len(lead_links) == 1, "every link to the lead carries the same tags"
    (lead,) = lead_links
    assert query(lead) == {
        "utm_source": ["the-tidewater-weekly"],
        "utm_medium": ["email"],
        "utm_campaign": [rendered.issue.issue_id],
        "utm_content": ["lead"],
    }
    assert lead in rendered.text
    ferry = next(a.get("href") for a in doc.xpath("//a[@href]") if "falferries" in a.get("href"))
    assert ferry.startswith("https://falferries.example/timetable?from=tidewater&utm_source=")
    unsubscribe = next(a.get("href") for a in doc.xpath("//a[@href]") if "unsubscribe" in a.get("href"))
    assert "utm_" not in unsubscribe, "only story links are tagged"


def test_configured_in_newsletter_utm(issue_dir: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(
        toml.read_text().replace(
            "\n[issue]", '\n[newsletter.utm]\nsource = "partner-feed"\nmedium = "newsletter"\n\n[issue]'
        )
    )
    rendered, _ = render_folder(issue_dir)
    assert "utm_source=partner-feed&amp;utm_medium=newsletter" in rendered.html
    toml.write_text(toml.read_text().replace('source = "partner-feed"', "enabled = false"))
    rendered, _ = render_folder(issue_dir)
    assert "utm_" not in rendered.html and "utm_" not in rendered.text


def test_bad_utm_setting_names_the_key(issue_dir: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(toml.read_text().replace("\n[issue]", '\n[newsletter.utm]\nmedium = "e mail"\n\n[issue]'))
    with pytest.raises(ConfigError, match=r"\[newsletter\.utm\] medium"):
        render_folder(issue_dir)


def test_slug():
    assert slug("The Tidewater Weekly") == "the-tidewater-weekly"
    assert slug("Ünïcode ☃") == "n-code"
    assert slug("☃") == "newsletter"


def test_sponsored_story_existing_tracking_survives_render(issue_dir: Path):
    write_story(
        issue_dir / "stories",
        "ferry-ad",
        """
        title: "Ride the ferry"
        url: "https://ferry.example/go?utm_campaign=spring"
        kind: sponsored
        sponsor: "Fal Ferries"
        """,
    )
    rendered, _ = render_folder(issue_dir)
    assert 'href="https://ferry.example/go?utm_campaign=spring"' in rendered.html
