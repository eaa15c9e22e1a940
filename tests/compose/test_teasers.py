"""The teaser cut keeps a summary's markup and says exactly what gather's plain teaser says."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from digest.compose import compose
from digest.compose.teasers import LEAD_TEASER_FACTOR, cut_summary, shown_summary
from digest.markup import sanitize_html, summary_text, teaser
from digest.settings import StoryOverride
from tests.compose_fixtures import NEWSLETTER, story
from tests.compose_fixtures import settings as issue_settings

PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<ul><li>",
        "</li><li>",
        "</li></ul>",
        "<ol><li>",
        '<a href="https://x.example/a?b=1&amp;c=2">',
        "</a>",
        "<em>",
        "</em>",
        "<strong>",
        "</strong>",
        "<br>",
        "&amp; &lt;tag&gt; &nbsp;",
        " ",
        "\n\n",
        "\x1f\x0b",
        ", ... — ",
    ]
) | st.text(max_size=40)
FRAGMENTS = st.lists(PIECES, max_size=40).map(lambda parts: sanitize_html("".join(parts)))


@settings(max_examples=300, deadline=None)
@given(FRAGMENTS, st.integers(min_value=1, max_value=200))
def test_the_cut_summary_reads_exactly_as_the_plain_teaser(fragment: str, length: int):
    cut = cut_summary(fragment, length)
    assert summary_text(cut) == teaser(summary_text(fragment), length)
    assert len(summary_text(cut)) <= length + 1
    if summary_text(fragment) == summary_text(cut):
        assert cut == fragment, "a summary within the length is left byte for byte"
    # Still the summary's own markup: sanitising again changes no word.
    assert summary_text(sanitize_html(cut)) == summary_text(cut)


def test_the_cut_keeps_paragraphs_and_links_up_to_the_cut():
    fragment = (
        '<p>First paragraph with <a href="https://x.example/1">a link</a> in it.</p>'
        "<ul><li>one item</li><li>two items and then a great many more words</li></ul><p>Gone.</p>"
    )
    cut = cut_summary(fragment, 60)
    assert cut == (
        '<p>First paragraph with <a href="https://x.example/1">a link</a> in it.</p>'
        "<ul><li>one item</li><li>two items and…</li></ul>"
    )
    assert lxml_html.fragment_fromstring(cut, create_parent="div").xpath("//a/@href") == [
        "https://x.example/1"
    ]


def test_only_stories_from_a_source_are_cut_and_the_lead_gets_more():
    words = " ".join(f"word{n}" for n in range(200))
    from_feed = replace(story("long"), summary=f"<p>{words}</p>", teaser_length=50)
    assert summary_text(shown_summary(from_feed).summary) == teaser(words, 50)
    lead = shown_summary(from_feed, lead=True)
    assert summary_text(lead.summary) == teaser(words, 50 * LEAD_TEASER_FACTOR)
    editors = replace(from_feed, teaser_length=0)
    assert shown_summary(editors) is editors


def test_an_editors_teaser_override_is_never_cut():
    words = " ".join(f"word{n}" for n in range(200))
    stories = [
        replace(s, summary=f"<p>{words}</p>", teaser_length=40)
        for s in (story("lead", priority=9), story("item"))
    ]
    issue = compose(
        NEWSLETTER, issue_settings(), stories, overrides={"item": StoryOverride(teaser=words)}
    ).issue
    assert summary_text(issue.lead.summary) == teaser(words, 80)
    (item,) = issue.more_from
    assert summary_text(item.summary) == words
