"""The composer's rules on a realistic week: lead, More from, sponsored slots, limit, sections."""

from __future__ import annotations

import pytest

from digest.compose import Reason, compose
from digest.compose.score import issue_start, lead_score
from digest.errors import ComposeError, StoryFileError
from digest.settings import ComposeSettings
from tests.compose_fixtures import ISSUE_DATE, NEWSLETTER, settings, story, week


def ids(composition) -> list[str]:
    return [p.story.id for p in composition.more_from]


def left_out(composition) -> dict[str, Reason]:
    return {r.story.id: r.reason for r in composition.left_out}


def test_a_default_week():
    composition = compose(NEWSLETTER, settings(), week())
    assert composition.lead.story.id == "council-budget"
    assert composition.lead.reason is Reason.SCORE
    assert ids(composition) == [
        "tide-explainer",
        "ferry-strike",
        "bank-savings",
        "lifeboat-rescue",
        "fish-prices",
        "ferry-offer",
        "school-play",
        "crab-lunches",
    ]
    assert [p.slot for p in composition.more_from] == [
        "more-1",
        "more-2",
        "sponsored-1",
        "more-4",
        "more-5",
        "sponsored-2",
        "more-7",
        "more-8",
    ]
    assert left_out(composition) == {"boatyard-sale": Reason.SPONSORED_CAP, "new-bakery": Reason.OVER_LIMIT}
    assert composition.issue.stories == tuple(p.story for p in composition.placements)


# --- the lead ---------------------------------------------------------------------------------


def test_lead_score_parts_follow_the_documented_formula():
    start = issue_start(ISSUE_DATE, "Europe/London")
    score = lead_score(story("a", priority=3, days_old=3.5, image=True, words=30), start)
    assert score.priority == 30
    assert score.freshness == pytest.approx(10.0)  # half-way through the week: half of 20
    assert score.image == 15
    assert score.summary == pytest.approx(5.0)  # 30 of 60 words
    assert score.total == pytest.approx(60.0)
    stale = lead_score(story("b", days_old=9, image=False, words=0), start)
    assert (stale.freshness, stale.image, stale.summary) == (0, 0, 0)
    undated = lead_score(story("c", days_old=None), start)
    assert undated.freshness == 0
    same_day = lead_score(story("d", days_old=-0.25), start)  # published on the morning of the issue
    assert same_day.freshness == 20


def test_photo_and_freshness_decide_between_equal_priorities():
    stale_text_only = story("old-and-bare", priority=5, days_old=6, image=False, words=10)
    fresh_with_photo = story("fresh-with-photo", priority=5, days_old=1)
    composition = compose(NEWSLETTER, settings(), [stale_text_only, fresh_with_photo])
    assert composition.lead.story.id == "fresh-with-photo"
    assert "next best old-and-bare" in composition.lead.detail


def test_priority_outweighs_a_couple_of_days():
    composition = compose(
        NEWSLETTER,
        settings(),
        [story("yesterday", priority=4, days_old=1), story("big", priority=5, days_old=3)],
    )
    assert composition.lead.story.id == "big"


def test_equal_scores_break_ties_by_id():
    twins = [story("beta", priority=2), story("alpha", priority=2)]
    assert compose(NEWSLETTER, settings(), twins).lead.story.id == "alpha"


def test_sponsored_never_leads_even_with_the_top_score():
    stories = [story("sponsor-splash", kind="sponsored", priority=99, days_old=0), story("news", priority=1)]
    composition = compose(NEWSLETTER, settings(), stories)
    assert composition.lead.story.id == "news"
    assert ids(composition) == ["sponsor-splash"]


def test_video_leads_only_when_pinned():
    stories = [story("tide-explainer", kind="video", priority=9), story("news", priority=1)]
    assert compose(NEWSLETTER, settings(), stories).lead.story.id == "news"
    pinned = compose(NEWSLETTER, settings(lead="tide-explainer"), stories)
    assert pinned.lead.story.id == "tide-explainer"
    assert pinned.lead.reason is Reason.PINNED


def test_no_possible_lead_is_an_error():
    stories = [story("ad", kind="sponsored"), story("clip", kind="video")]
    with pytest.raises(ComposeError, match="no story can lead this issue"):
        compose(NEWSLETTER, settings(), stories)


def test_no_stories_is_an_error():
    with pytest.raises(ComposeError, match="no stories"):
        compose(NEWSLETTER, settings(), [])


def test_sponsored_without_a_sponsor_name_is_an_error():
    nameless = story("mystery-ad", kind="sponsored", sponsor=" ")
    with pytest.raises(StoryFileError, match="sponsor's name") as caught:
        compose(NEWSLETTER, settings(), [story("news"), nameless])
    assert "stories/mystery-ad.md" in str(caught.value)


def test_two_stories_with_one_id_is_an_error():
    with pytest.raises(ComposeError, match="two stories have the id 'news'"):
        compose(NEWSLETTER, settings(), [story("news"), story("news", priority=3)])


# --- More from ordering -----------------------------------------------------------------------


def test_more_from_by_priority_then_newest_then_id():
    stories = [
        story("lead", priority=10),
        story("older", priority=3, days_old=4),
        story("newer", priority=3, days_old=1),
        story("urgent", priority=5, days_old=6),
        story("undated", priority=3, days_old=None),
        story("b-same", priority=1, days_old=2),
        story("a-same", priority=1, days_old=2),
    ]
    composition = compose(NEWSLETTER, settings(), stories, options=ComposeSettings(sponsored_slots=[]))
    assert ids(composition) == ["urgent", "newer", "older", "undated", "a-same", "b-same"]
    assert all(p.reason is Reason.RANKED for p in composition.more_from)


def test_editor_order_comes_first_then_the_ranking():
    composition = compose(NEWSLETTER, settings(order=["new-bakery", "school-play"]), week())
    assert ids(composition)[:2] == ["new-bakery", "school-play"]
    assert composition.more_from[0].reason is Reason.EDITOR_ORDER
    assert composition.more_from[1].detail == "editor's order (2nd)"
    assert ids(composition)[3] == "tide-explainer"  # the ranking resumes after the slot-3 sponsor


def test_editor_order_also_ranks_sponsored_among_themselves():
    composition = compose(NEWSLETTER, settings(order=["boatyard-sale"]), week())
    assert [p.story.id for p in composition.more_from if p.story.is_sponsored] == [
        "boatyard-sale",
        "bank-savings",
    ]
    assert left_out(composition)["ferry-offer"] is Reason.SPONSORED_CAP


def test_limit_cuts_the_lowest_ranked_and_reports_them():
    composition = compose(NEWSLETTER, settings(), week(), options=ComposeSettings(limit=4))
    assert ids(composition) == ["tide-explainer", "ferry-strike", "bank-savings", "lifeboat-rescue"]
    over = [r.story.id for r in composition.left_out if r.reason is Reason.OVER_LIMIT]
    assert over == ["fish-prices", "ferry-offer", "school-play", "crab-lunches", "new-bakery"]
    assert "over the limit of 4" in composition.left_out[-1].detail


def test_limit_zero_leaves_the_lead_alone():
    composition = compose(NEWSLETTER, settings(), week(), options=ComposeSettings(limit=0))
    assert composition.issue.more_from == ()
    assert len(composition.left_out) == len(week()) - 1


# --- sponsored slots --------------------------------------------------------------------------


def test_sponsored_go_to_the_configured_slots():
    options = ComposeSettings(sponsored_slots=[2, 5, 8], max_sponsored=3, limit=10)
    composition = compose(NEWSLETTER, settings(), week(), options=options)
    sponsored_places = [p.position for p in composition.more_from if p.story.is_sponsored]
    assert sponsored_places == [2, 5, 8]
    assert all(p.reason is Reason.SPONSORED_SLOT for p in composition.more_from if p.story.is_sponsored)


def test_at_most_max_sponsored_per_issue():
    options = ComposeSettings(sponsored_slots=[2, 5, 8], max_sponsored=1)
    composition = compose(NEWSLETTER, settings(), week(), options=options)
    assert [p.story.id for p in composition.more_from if p.story.is_sponsored] == ["bank-savings"]
    assert {r.reason for r in composition.left_out if r.story.is_sponsored} == {Reason.SPONSORED_CAP}
    assert "max_sponsored" in composition.left_out[0].detail


def test_fewer_slots_than_max_sponsored():
    options = ComposeSettings(sponsored_slots=[4], max_sponsored=2)
    composition = compose(NEWSLETTER, settings(), week(), options=options)
    assert [p.position for p in composition.more_from if p.story.is_sponsored] == [4]
    assert any("sponsored_slots" in r.detail for r in composition.left_out)


def test_short_issue_moves_a_sponsored_block_up_to_the_end():
    # Lead + one article: slot 3 cannot be reached, so the first sponsor follows the article.
    stories = [story("lead", priority=9), story("other"), story("bank-savings", kind="sponsored", priority=5)]
    composition = compose(NEWSLETTER, settings(), stories)
    assert ids(composition) == ["other", "bank-savings"]
    moved = composition.more_from[1]
    assert moved.reason is Reason.SPONSORED_MOVED_UP
    assert moved.detail.startswith("sponsored slot 3, moved up to 2")
    assert moved.slot == "sponsored-1"


def test_short_issue_never_puts_two_sponsored_blocks_together():
    stories = [
        story("lead", priority=9),
        story("other"),
        story("bank-savings", kind="sponsored", priority=5),
        story("ferry-offer", kind="sponsored", priority=2),
    ]
    composition = compose(NEWSLETTER, settings(), stories)
    assert ids(composition) == ["other", "bank-savings"]
    assert left_out(composition) == {"ferry-offer": Reason.SPONSORED_NO_ROOM}
    assert any("ferry-offer" in w and "Ferry-Offer Ltd" in w for w in composition.warnings)


def test_lead_alone_plus_a_sponsor():
    stories = [story("lead"), story("bank-savings", kind="sponsored")]
    composition = compose(NEWSLETTER, settings(), stories)
    assert ids(composition) == ["bank-savings"]
    assert composition.more_from[0].position == 1


def test_sponsored_slots_config_is_checked():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="two sponsored blocks in a row"):
        ComposeSettings(sponsored_slots=[3, 4])
    with pytest.raises(ValidationError, match="count from 1"):
        ComposeSettings(sponsored_slots=[0, 3])
    with pytest.raises(ValidationError, match="more than once"):
        ComposeSettings(sponsored_slots=[3, 3])
    assert ComposeSettings(sponsored_slots=[6, 3]).sponsored_slots == [3, 6]


# --- sections ---------------------------------------------------------------------------------


def test_grouping_by_section_keeps_sponsored_slots_and_rank_within_sections():
    composition = compose(
        NEWSLETTER, settings(), week(), options=ComposeSettings(group_by_section=True, limit=10)
    )
    assert [(p.story.id, p.heading) for p in composition.more_from] == [
        ("tide-explainer", ""),  # no section: straight under "More from"
        ("ferry-strike", "Town"),
        ("bank-savings", ""),
        ("school-play", ""),
        ("lifeboat-rescue", "Sea"),
        ("ferry-offer", ""),
        ("fish-prices", ""),
        ("crab-lunches", "Food"),
        ("new-bakery", ""),
    ]
    assert composition.issue.more_from_headings == tuple(p.heading for p in composition.more_from)
    # The heading replaces the per-story section label in the email; the record keeps it.
    assert all(not s.section for s in composition.issue.more_from)
    assert composition.more_from[1].story.section == "Town"


def test_section_order_puts_named_sections_first():
    options = ComposeSettings(group_by_section=True, section_order=["Food", "Sea"], limit=10)
    composition = compose(NEWSLETTER, settings(), week(), options=options)
    assert [h for h in composition.issue.more_from_headings if h] == ["Food", "Sea", "Town"]


def test_grouping_does_not_change_who_is_in():
    plain = compose(NEWSLETTER, settings(), week())
    grouped = compose(NEWSLETTER, settings(), week(), options=ComposeSettings(group_by_section=True))
    assert sorted(ids(plain)) == sorted(ids(grouped))
    assert plain.left_out == grouped.left_out


def test_no_grouping_no_headings():
    assert compose(NEWSLETTER, settings(), week()).issue.more_from_headings == ()


# --- recently sent (issue 8 passes the set in) ------------------------------------------------


def test_recently_sent_stories_are_left_out_unless_the_editor_chose_them():
    sent = {"https://harbour-press.example/ferry-strike", "https://harbour-press.example/fish-prices"}
    composition = compose(NEWSLETTER, settings(), week(), recently_sent=sent)
    assert left_out(composition)["ferry-strike"] is Reason.RECENTLY_SENT
    assert left_out(composition)["fish-prices"] is Reason.RECENTLY_SENT
    chosen = compose(
        NEWSLETTER, settings(lead="ferry-strike", order=["fish-prices"]), week(), recently_sent=sent
    )
    assert chosen.lead.story.id == "ferry-strike"
    assert ids(chosen)[0] == "fish-prices"


def test_recently_sent_compares_canonical_urls():
    sent = {"harbour-press.example/ferry-strike"}
    composition = compose(
        NEWSLETTER,
        settings(),
        week(),
        recently_sent=sent,
        canonical_url=lambda url: url.removeprefix("https://"),
    )
    assert left_out(composition)["ferry-strike"] is Reason.RECENTLY_SENT


def test_recently_sent_names_the_issue_when_it_is_known():
    sent = {"https://harbour-press.example/ferry-strike": "2025-W10"}
    composition = compose(NEWSLETTER, settings(), week(), recently_sent=sent)
    record = composition.find("ferry-strike")
    assert record.reason is Reason.RECENTLY_SENT
    assert record.detail == "sent in 2025-W10; pin it or list it in [issue] order to send it again"


# --- determinism ------------------------------------------------------------------------------


def test_input_order_does_not_matter():
    stories = week()
    forward = compose(NEWSLETTER, settings(), stories)
    backward = compose(NEWSLETTER, settings(), list(reversed(stories)))
    assert forward == backward
