"""A full-text feed makes teasers, not walls of text, in the HTML and the plain text (issue 12, item 11).

More-from items show their summary cut at the source's `teaser_length`, the lead at twice that,
at a word, with an ellipsis; an editor's own words ([stories.<id>] teaser, the issue's story
files) are shown as written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from digest.markup import fold_whitespace, teaser
from digest.pipeline import BuildResult, build_issue
from tests.conftest import NEWSLETTER_TOML, write_story

TEASER_LENGTH = 120
ITEM = "<item><title>{title}</title><link>https://full.example/news/{slug}</link>"
ITEM_END = (
    "<pubDate>Sat, 01 Feb 2025 09:00:00 +0000</pubDate><description><![CDATA[{body}]]></description></item>"
)


def _paragraphs(n: int) -> list[str]:
    return [
        f"Story {n} opens here: the harbour board met on Tuesday evening to argue about dredging, moorings"
        " and the price of diesel for the fishing fleet.",
        f"Story {n} goes on: councillors asked for <a href='https://full.example/minutes/{n}'>the minutes</a>"
        " to be published before the vote, and the chair agreed to a consultation of four weeks.",
        f"Story {n} ends with a word nobody should see in an email: SEVERED{n}, then more of the full text.",
    ]


def _plain(paragraphs: list[str]) -> str:
    return fold_whitespace(" ".join(re.sub(r"<[^>]+>", "", p) for p in paragraphs))


FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Full text</title>'
    "<link>https://full.example/</link>"
    + "".join(
        ITEM.format(title=f"Long story number {n}", slug=f"long-story-{n}")
        + ITEM_END.format(body="".join(f"<p>{p}</p>" for p in _paragraphs(n)))
        for n in (1, 2, 3)
    )
    + "</channel></rss>"
)
OVERRIDE = (
    "The editor's own teaser runs long on purpose, and it is shown exactly as written, however long it"
    " gets, because an editor chose every word of it. WRITTEN-AS-IS"
)

DESK_NOTE = " ".join(["The desk's own story file, written for the newsletter, is shown whole."] * 4)


@pytest.fixture
def built(tmp_path: Path) -> BuildResult:
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "full-text.rss").write_text(FEED, encoding="utf-8")
    (folder / "issue.toml").write_text(
        NEWSLETTER_TOML
        + f'\n[[sources]]\nfeed = "full-text.rss"\nteaser_length = {TEASER_LENGTH}\n'
        + '\n[issue]\ndate = 2025-02-03\nlead = "long-story-1"\n'
        + f'\n[stories.long-story-3]\nteaser = "{OVERRIDE}\\n\\nA second paragraph the editor wrote."\n',
        encoding="utf-8",
    )
    write_story(
        folder / "stories",
        "desk-note",
        'title: "A note from the desk"\nurl: "https://full.example/desk"',
        body=DESK_NOTE,
    )
    return build_issue(folder, tmp_path / "out")


def _html_text(html: str) -> str:
    body = lxml_html.document_fromstring(html).body
    for hidden in body.xpath(".//div[@class='preheader']"):
        hidden.drop_tree()
    return fold_whitespace(body.text_content())


def _text_part(text: str) -> str:
    """The plain text with its link markers ("the minutes [1]") and link lists taken out."""
    without_lists = re.sub(r"^\[\d+\] \S+$", "", text, flags=re.MULTILINE)
    return fold_whitespace(re.sub(r" \[\d+\]", "", without_lists))


def test_more_from_items_are_cut_at_the_teaser_length_in_html_and_text(built: BuildResult):
    item = teaser(_plain(_paragraphs(2)), TEASER_LENGTH)
    assert item.endswith("…") and len(item) <= TEASER_LENGTH + 1
    assert item in _html_text(built.rendered.html)
    assert item in _text_part(built.rendered.text)
    for part in (built.rendered.html, built.rendered.text):
        assert "SEVERED2" not in part
        assert "Story 2 goes on" not in part


def test_the_lead_gets_twice_the_teaser_length(built: BuildResult):
    lead = teaser(_plain(_paragraphs(1)), 2 * TEASER_LENGTH)
    assert lead.endswith("…") and TEASER_LENGTH < len(lead) <= 2 * TEASER_LENGTH + 1
    assert lead in _html_text(built.rendered.html)
    assert lead in _text_part(built.rendered.text)
    assert "SEVERED1" not in built.rendered.html + built.rendered.text
    # The cut keeps the summary's markup: its paragraphs and the link inside the part that is shown.
    doc = lxml_html.document_fromstring(built.rendered.html)
    assert doc.xpath("//a[@href='https://full.example/minutes/1']")
    assert "[1] https://full.example/minutes/1" in built.rendered.text


def test_an_editors_teaser_and_story_file_are_shown_as_written(built: BuildResult):
    for part in (_html_text(built.rendered.html), _text_part(built.rendered.text)):
        assert OVERRIDE in part
        assert "A second paragraph the editor wrote." in part
        assert (
            " ".join(["The desk's own story file, written for the newsletter, is shown whole."] * 4) in part
        )


def test_the_issue_carries_what_subscribers_see(built: BuildResult):
    """The cut is made once, when composing: the archive, the preview and lint see the same teaser."""
    issue = built.rendered.issue
    assert "SEVERED" not in issue.lead.summary
    assert all("SEVERED" not in story.summary for story in issue.more_from)
    assert issue.lead.summary.count("<p>") == 2, "whole paragraphs stay paragraphs"
