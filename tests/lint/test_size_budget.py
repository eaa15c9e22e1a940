"""A full issue (a lead plus 12 items, photos and long summaries) stays under Gmail's clipping point."""

from __future__ import annotations

from pathlib import Path

from digest.lint.checks.budget import CLIP_BYTES, WARN_BYTES
from digest.pipeline import build_issue
from tests.conftest import write_story

SUMMARY = (
    "The harbour commission voted on Tuesday night to dredge the inner channel, ending two years of "
    "argument between the ferry operators, who say the silt is a safety risk at low water, and the "
    "fishermen, who fear the spoil will smother the oyster beds off the point. The work starts in "
    "October and will cost about £2.4 million, most of it from the port's reserves.\n\n"
    "Residents can see the plans at the harbour office until the end of the month, and the "
    "commission will answer questions at a public meeting in the sailing club on 3 April."
)


def full_issue(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issue.toml").write_text(
        """\
[newsletter]
name = "The Tidewater Weekly"
publication = "Tidewater Press"
from = "The Tidewater Weekly <weekly@tidewater-press.example>"
base_url = "https://tidewater-press.example/weekly"
postal_address = "Tidewater Press Ltd, 4 Quay Lane, Falmouth TR11 3HF, United Kingdom"
lang = "en-GB"

[compose]
limit = 12

[issue]
date = 2025-03-21
lead = "story-00"
subject = "The harbour commission's long week"
intro = "Good morning. A full week: thirteen stories, two sponsors and a film from the quay."
""",
        encoding="utf-8",
    )
    stories = folder / "stories"
    for n in range(13):
        kind = "sponsored" if n in (3, 7) else "video" if n == 10 else "article"
        front_matter = [
            f'title: "Story {n}: the harbour commission\'s long week of votes, rows and dredging plans"',
            f'url: "https://tidewater-press.example/news/2025/03/story-{n:02d}-harbour-commission-week"',
            f"kind: {kind}",
            f"priority: {20 - n}",
            'section: "Harbour & Town"',
            'author: "Tidewater staff"',
            f'image: "https://images.tidewater-press.example/2025/03/story-{n:02d}-harbour-low-tide.jpg"',
            'image_alt: "The inner harbour at low tide, with boats resting on the silt"',
            'image_caption: "The inner harbour at low tide last Sunday."',
            'image_credit: "Tidewater Press/Jo Pascoe"',
        ]
        if kind == "sponsored":
            front_matter += ['sponsor: "Fal Ferries"', 'cta: "See the summer timetable"']
        write_story(stories, f"story-{n:02d}", "\n".join(front_matter), SUMMARY)
    return folder


def test_lead_plus_twelve_items_fits_before_gmail_clips(tmp_path: Path):
    result = build_issue(full_issue(tmp_path / "issue"), tmp_path / "out")
    assert len(result.issue.more_from) == 12
    size = len(result.rendered.html.encode("utf-8"))
    print(f"lead + 12 items: {size:,} bytes decoded HTML")
    assert size < CLIP_BYTES
    assert size < WARN_BYTES, "leave room for longer real-world summaries"
    assert result.lint is not None and result.lint.ok, [f.code for f in result.lint.findings]
