"""The editor's choices in issue.toml ([issue], [stories.<id>], [compose]) and every error they can cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.compose import Reason, exclude_story, include_story, move_story, pin_lead
from digest.errors import ComposeError, ConfigError
from digest.pipeline import build_issue, compose_folder
from digest.settings import load_issue_config
from tests.conftest import NEWSLETTER_TOML, SAMPLE_WEEKS, write_story


@pytest.fixture
def week_dir(tmp_path: Path) -> Path:
    """A harbour town's week as story files: five articles, a video, two sponsored."""
    folder = tmp_path / "2025-03-14"
    stories = folder / "stories"
    for story_id, priority, extra in [
        ("harbour-vote", 9, 'section: "Town"\nimage: "https://img.test-press.example/vote.jpg"'),
        ("seagrass-returns", 7, 'section: "Environment"'),
        ("lifeboat-open-day", 5, 'section: "Town"'),
        ("crab-on-a-budget", 4, 'section: "Food"'),
        ("tide-tables", 2, 'section: "Town"'),
        ("quay-webcam", 6, 'kind: video\nduration: "1:30"'),
        ("ferry-timetable", 3, 'kind: sponsored\nsponsor: "Fal River Ferries"'),
        ("bank-savings", 1, 'kind: sponsored\nsponsor: "Quay Bank"'),
    ]:
        write_story(
            stories,
            story_id,
            f'title: "{story_id.replace("-", " ").capitalize()}"\n'
            f'url: "https://test-press.example/{story_id}"\n'
            f"published: 2025-03-1{priority % 4}T09:00:00Z\npriority: {priority}\n{extra}",
            body=f"What happened with {story_id.replace('-', ' ')} this week, in a few sentences.",
        )
    return folder


def write_choices(folder: Path, choices: str) -> None:
    (folder / "issue.toml").write_text(
        NEWSLETTER_TOML + "\n[issue]\ndate = 2025-03-14\n" + choices, encoding="utf-8"
    )


def more_from_ids(composition) -> list[str]:
    return [p.story.id for p in composition.more_from]


def test_without_choices(week_dir: Path):
    write_choices(week_dir, "")
    composition = compose_folder(week_dir)
    assert composition.lead.story.id == "harbour-vote"
    assert more_from_ids(composition) == [
        "seagrass-returns",
        "quay-webcam",
        "ferry-timetable",
        "lifeboat-open-day",
        "crab-on-a-budget",
        "bank-savings",
        "tide-tables",
    ]
    assert composition.issue.subject == "Harbour vote"
    assert composition.warnings == ()


def test_lead_pin(week_dir: Path):
    write_choices(week_dir, 'lead = "tide-tables"\n')
    composition = compose_folder(week_dir)
    assert composition.lead.story.id == "tide-tables"
    assert composition.lead.reason is Reason.PINNED
    assert "harbour-vote" in more_from_ids(composition)
    assert composition.issue.subject == "Tide tables"


def test_order(week_dir: Path):
    write_choices(week_dir, 'order = ["tide-tables", "crab-on-a-budget"]\n')
    assert more_from_ids(compose_folder(week_dir))[:2] == ["tide-tables", "crab-on-a-budget"]


def test_lead_listed_in_order_still_leads(week_dir: Path):
    write_choices(week_dir, 'lead = "crab-on-a-budget"\norder = ["crab-on-a-budget", "tide-tables"]\n')
    composition = compose_folder(week_dir)
    assert composition.lead.story.id == "crab-on-a-budget"
    assert more_from_ids(composition)[0] == "tide-tables"
    assert "crab-on-a-budget" not in more_from_ids(composition)


def test_exclude(week_dir: Path):
    write_choices(week_dir, 'exclude = ["harbour-vote", "bank-savings"]\n')
    composition = compose_folder(week_dir)
    assert composition.lead.story.id == "seagrass-returns"
    in_issue = {s.id for s in composition.issue.stories}
    assert not in_issue & {"harbour-vote", "bank-savings"}
    assert {r.story.id: r.reason for r in composition.left_out} == {
        "harbour-vote": Reason.EXCLUDED,
        "bank-savings": Reason.EXCLUDED,
    }
    assert composition.warnings == (), "excluding a sponsor on purpose is not a warning"


def test_story_overrides_title_teaser_and_image(week_dir: Path):
    write_choices(
        week_dir,
        '[stories.harbour-vote]\ntitle = "Dredging passes, 6–5"\n'
        'teaser = "The **closest** vote in years."\n'
        'image = "https://img.test-press.example/council.jpg"\nimage_alt = "Councillors voting"\n'
        '[stories.crab-on-a-budget]\nimage = "https://img.test-press.example/crab.jpg"\n',
    )
    composition = compose_folder(week_dir)
    lead = composition.issue.lead
    assert lead.title == "Dredging passes, 6–5"
    assert lead.summary == "<p>The <strong>closest</strong> vote in years.</p>"
    assert lead.image.url == "https://img.test-press.example/council.jpg"
    assert lead.image.alt == "Councillors voting"
    assert composition.issue.subject == "Dredging passes, 6–5", "the subject follows the overridden title"
    crab = next(s for s in composition.issue.more_from if s.id == "crab-on-a-budget")
    assert crab.image.url == "https://img.test-press.example/crab.jpg"


def test_image_override_can_drop_a_photo(week_dir: Path):
    write_choices(week_dir, '[stories.harbour-vote]\nimage = ""\n')
    assert compose_folder(week_dir).issue.lead.image is None


def test_teaser_override_is_sanitised(week_dir: Path):
    write_choices(
        week_dir, '[stories.harbour-vote]\nteaser = "<script>alert(1)</script> [x](javascript:alert(1))"\n'
    )
    summary = compose_folder(week_dir).issue.lead.summary
    assert "<script" not in summary
    assert 'href="javascript' not in summary
    assert "&lt;script&gt;" in summary, "the editor's text shows, as text"


def test_subject_preheader_and_intro(week_dir: Path):
    write_choices(
        week_dir,
        'subject = "Dredging, seagrass\\nand crab"\npreheader = "Plus: the lifeboat open day."\n'
        'intro = "Good morning from the *quay*."\n',
    )
    issue = compose_folder(week_dir).issue
    assert issue.subject == "Dredging, seagrass and crab", "no newline ever reaches a header"
    assert issue.preheader == "Plus: the lifeboat open day."
    assert issue.intro == "<p>Good morning from the <em>quay</em>.</p>"


def test_long_subject_is_a_warning_not_an_error(week_dir: Path, tmp_path: Path):
    write_choices(
        week_dir,
        "[stories.harbour-vote]\n"
        'title = "After three hours of debate, the harbour board passes the dredging plan"\n',
    )
    composition = compose_folder(week_dir)
    assert composition.issue.subject.startswith("After three hours")
    (warning,) = composition.warnings
    assert "subject is 71 characters" in warning and "60" in warning
    result = build_issue(week_dir, tmp_path / "out")
    assert result.composition.warnings == composition.warnings


def test_compose_settings_in_issue_toml(week_dir: Path):
    write_choices(week_dir, "[compose]\nlimit = 3\nsponsored_slots = [2]\nmax_sponsored = 1\n")
    composition = compose_folder(week_dir)
    assert more_from_ids(composition) == ["seagrass-returns", "ferry-timetable", "quay-webcam"]
    reasons = {r.story.id: r.reason for r in composition.left_out}
    assert reasons["bank-savings"] is Reason.SPONSORED_CAP
    assert reasons["tide-tables"] is Reason.OVER_LIMIT


def test_compose_settings_from_digest_toml_with_issue_overrides(week_dir: Path, tmp_path: Path):
    (tmp_path / "digest.toml").write_text(
        NEWSLETTER_TOML + "\n[compose]\nlimit = 4\ngroup_by_section = true\n", encoding="utf-8"
    )
    (week_dir / "issue.toml").write_text(
        "[issue]\ndate = 2025-03-14\n[compose]\nlimit = 5\n", encoding="utf-8"
    )
    config = load_issue_config(week_dir)
    assert config.compose.limit == 5
    assert config.compose.group_by_section is True
    composition = compose_folder(week_dir)
    assert len(composition.more_from) == 5
    assert any(composition.issue.more_from_headings)


def test_grouped_issue_renders_section_headings(week_dir: Path, tmp_path: Path):
    write_choices(week_dir, "[compose]\ngroup_by_section = true\n")
    result = build_issue(week_dir, tmp_path / "out")
    text, html = result.rendered.text, result.rendered.html
    for heading in ("## TOWN", "## FOOD"):
        assert text.count(heading) == 1, heading
    more_from = text.split("MORE FROM TEST PRESS", 1)[1]
    assert more_from.index("## TOWN") < more_from.index("Lifeboat open day")
    assert more_from.index("## FOOD") < more_from.index("Crab on a budget")
    from lxml import html as lxml_html

    doc = lxml_html.document_fromstring(html)
    h2 = [h.text_content().strip() for h in doc.xpath("//h2")]
    assert h2 == ["More from Test Press", "Environment", "Town", "Food"]


def test_a_section_override_moves_the_story_under_that_heading(week_dir: Path, tmp_path: Path):
    write_choices(
        week_dir,
        "[compose]\ngroup_by_section = true\n"
        '[stories.tide-tables]\nsection = "Food"\n[stories.seagrass-returns]\nsection = "Town"\n',
    )
    composition = compose_folder(week_dir)
    placed = {p.story.id: p for p in composition.more_from}
    assert placed["tide-tables"].story.section == "Food"
    text = build_issue(week_dir, tmp_path / "out").rendered.text.split("MORE FROM TEST PRESS", 1)[1]
    assert "## ENVIRONMENT" not in text, "its only story now sits under Town"
    assert text.index("## FOOD") < text.index("Tide tables")
    assert text.index("## TOWN") < text.index("Seagrass")
    assert text.index("## FOOD") > text.index("Seagrass returns")
    # the sponsored blocks keep their slots whatever the sections do
    assert [p.position for p in composition.more_from if p.story.is_sponsored] == [3, 6]


# --- errors -----------------------------------------------------------------------------------


def test_unknown_ids_are_all_reported_with_the_closest_ids(week_dir: Path):
    write_choices(
        week_dir,
        'lead = "harbor-vote"\norder = ["tide-table", "lifeboat-open-day"]\nexclude = ["crab"]\n'
        '[stories.seagrass]\ntitle = "Seagrass"\n',
    )
    with pytest.raises(ComposeError) as caught:
        compose_folder(week_dir)
    message = str(caught.value)
    assert message.startswith(str(week_dir / "issue.toml"))
    assert "[issue] lead: no story with id 'harbor-vote'; closest: harbour-vote" in message
    assert "[issue] order: no story with id 'tide-table'; closest: tide-tables" in message
    assert "[issue] exclude: no story with id 'crab'; closest: crab-on-a-budget" in message
    assert "[stories]: no story with id 'seagrass'; closest: seagrass-returns" in message
    assert "lifeboat-open-day" not in message.split("order:")[1].split("\n")[0].split("closest")[0]


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        (
            'lead = "ferry-timetable"\n',
            "[issue] lead: 'ferry-timetable' is sponsored, and a sponsored story never",
        ),
        ('lead = "tide-tables"\nexclude = ["tide-tables"]\n', "'tide-tables' is also pinned as [issue] lead"),
        (
            'order = ["tide-tables"]\nexclude = ["tide-tables"]\n',
            "'tide-tables' is also listed in [issue] order",
        ),
        (
            '[stories.tide-tables]\nimage_alt = "The quay at high water"\n',
            "[stories.tide-tables]: the story has no photo to describe",
        ),
        (
            '[stories.ferry-timetable]\nsection = "Town"\n',
            "[stories.ferry-timetable] section: a sponsored block keeps its slot and shows no section",
        ),
    ],
)
def test_contradicting_choices_are_errors(week_dir: Path, choices: str, expected: str):
    write_choices(week_dir, choices)
    with pytest.raises(ComposeError) as caught:
        compose_folder(week_dir)
    assert str(caught.value).startswith(str(week_dir / "issue.toml"))
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ('order = ["a", "b", "a"]\n', "[issue] order: lists 'a' more than once"),
        ('exclude = "tide-tables"\n', "[issue] exclude:"),
        ('[stories.harbour-vote]\nheadline = "x"\n', "[stories.harbour-vote] headline: unknown key"),
        ('[stories.harbour-vote]\ntitle = "  "\n', "[stories.harbour-vote] title:"),
        (
            '[stories.harbour-vote]\nimage = "/local.jpg"\n',
            "[stories.harbour-vote] image: must be an absolute",
        ),
        ("[compose]\nsponsored_slots = [3, 4]\n", "[compose] sponsored_slots: places 3 and 4"),
        ("[compose]\nlimit = -1\n", "[compose] limit:"),
        ("[compose]\nmax_sponsored = -2\n", "[compose] max_sponsored:"),
        ("[compose]\nsections = true\n", "[compose] sections: unknown key"),
        ('[compose]\nsection_order = ["Town", "Town"]\n', "[compose] section_order:"),
    ],
)
def test_invalid_choices_name_the_file_and_key(week_dir: Path, choices: str, expected: str):
    write_choices(week_dir, choices)
    with pytest.raises(ConfigError) as caught:
        load_issue_config(week_dir)
    assert str(week_dir / "issue.toml") in str(caught.value)
    assert expected in str(caught.value)


def test_compose_in_digest_toml_must_be_a_table(week_dir: Path, tmp_path: Path):
    (tmp_path / "digest.toml").write_text('compose = "tight"\n' + NEWSLETTER_TOML, encoding="utf-8")
    (week_dir / "issue.toml").write_text("[issue]\ndate = 2025-03-14\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digest.toml: \[compose\] must be a table"):
        load_issue_config(week_dir)


# --- the preview's edit helpers ---------------------------------------------------------------


def test_pin_exclude_include_round_trip(week_dir: Path):
    write_choices(week_dir, 'order = ["tide-tables"]\n')
    settings = load_issue_config(week_dir).issue
    pinned = pin_lead(settings, "tide-tables")
    assert (pinned.lead, pinned.order) == ("tide-tables", [])
    excluded = exclude_story(pinned, "tide-tables")
    assert (excluded.lead, excluded.exclude) == (None, ["tide-tables"])
    assert include_story(excluded, "tide-tables").exclude == []
    assert settings.order == ["tide-tables"], "the original settings are untouched"


def test_move_keeps_sponsored_blocks_in_their_slots(week_dir: Path):
    from digest.compose import compose_config
    from digest.gather.readers import read_story_folder

    write_choices(week_dir, "")
    config = load_issue_config(week_dir)
    stories = read_story_folder(config.stories_dir)
    before = compose_config(config, stories)
    moved = move_story(before, config.issue, "lifeboat-open-day", -1)
    after = compose_config(config.__class__(**{**_fields(config), "issue": moved}), stories)
    assert more_from_ids(after) == [
        "seagrass-returns",
        "lifeboat-open-day",
        "ferry-timetable",
        "quay-webcam",
        "crab-on-a-budget",
        "bank-savings",
        "tide-tables",
    ]
    top = move_story(after, moved, "seagrass-returns", -5)
    assert top.order[0] == "seagrass-returns"
    with pytest.raises(ComposeError, match="not in More from"):
        move_story(before, config.issue, "harbour-vote", 1)


def _fields(config) -> dict:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


def test_meridian_keeps_its_sponsored_blocks_at_3_and_6():
    composition = compose_folder(SAMPLE_WEEKS["meridian"])
    assert [p.position for p in composition.more_from if p.story.is_sponsored] == [3, 6]
    assert [p.slot for p in composition.more_from if p.story.is_sponsored] == ["sponsored-1", "sponsored-2"]
    assert composition.left_out == ()
