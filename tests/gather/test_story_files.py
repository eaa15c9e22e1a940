"""A malformed story file stops the build with one clear line naming file and problem, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from digest.errors import StoryFileError
from digest.gather import gather_week
from digest.gather.readers import read_story_file, story_files
from digest.gather.readers.folder import STORY_BODY_CHARACTERS, STORY_FILE_BYTES
from digest.model import Source, SourceKind
from tests.conftest import write_story
from tests.gather.test_gather_feeds import NOW, WEEK

BAD_STORIES = {
    "bad-yaml": ('title: "unterminated\nurl: [oops', "not valid YAML"),
    "missing-title": ('url: "https://x.example/a"', "title: required key is missing"),
    "unknown-kind": ('title: "T"\nurl: "https://x.example/a"\nkind: advertorial', "kind"),
    "unknown-key": ('title: "T"\nurl: "https://x.example/a"\nsubtitle: "x"', "subtitle: unknown key"),
    "wrong-type": ('title: "T"\nurl: "https://x.example/a"\npriority: "high"', "priority"),
    "relative-url": ('title: "T"\nurl: "/a"', "url: must be an absolute http(s) URL"),
    # the one URL check feeds use too: a space has no place inside a link
    "url-with-space": ('title: "T"\nurl: "https://x.example/a b"', "url: must be an absolute"),
    "bad-date": ('title: "T"\nurl: "https://x.example/a"\npublished: "last tuesday"', "published"),
    "sponsor-missing": ('title: "T"\nurl: "https://x.example/a"\nkind: sponsored', "sponsor"),
    "title-is-bool": ('title: yes\nurl: "https://x.example/a"', "title"),
}


@pytest.mark.parametrize("story_id", sorted(BAD_STORIES))
def test_bad_story_file_names_file_and_problem(tmp_path: Path, story_id: str):
    front_matter, expected = BAD_STORIES[story_id]
    path = write_story(tmp_path, story_id, front_matter)
    with pytest.raises(StoryFileError) as caught:
        read_story_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message


def test_no_front_matter(tmp_path: Path):
    path = tmp_path / "plain.md"
    path.write_text("Just text, no front matter.\n", encoding="utf-8")
    with pytest.raises(StoryFileError, match="no front matter"):
        read_story_file(path)


def test_not_utf8(tmp_path: Path):
    path = tmp_path / "latin.md"
    path.write_bytes(b'---\ntitle: "Caf\xe9"\nurl: "https://x.example/"\n---\nbody\n')
    with pytest.raises(StoryFileError, match="not UTF-8"):
        read_story_file(path)


@pytest.mark.parametrize("story_id", ["bad-yaml", "missing-title", "unknown-kind"])
def test_cli_exits_2_with_one_line_and_no_traceback(issue_dir: Path, tmp_path: Path, story_id: str):
    front_matter, expected = BAD_STORIES[story_id]
    bad = write_story(issue_dir / "stories", story_id, front_matter)
    result = subprocess.run(
        [sys.executable, "-m", "digest", "build", str(issue_dir), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert str(bad.resolve()) in lines[0] or str(bad) in lines[0]
    assert expected in lines[0]
    assert not (tmp_path / "out").exists()


def test_valid_story_fields(tmp_path: Path):
    path = write_story(
        tmp_path,
        "full",
        """
        title: "  A <b>bold</b>   title &amp; more "
        url: "https://x.example/full"
        published: "2025-01-02T03:04:05+01:00"
        kind: video
        image: "https://x.example/i.jpg"
        image_alt: "Alt"
        image_credit: "Credit"
        image_caption: "Caption"
        section: "World"
        author: "A. Writer"
        priority: 3
        duration: "4:32"
        """,
        body="Some *emphasis* and a [link](/relative).",
    )
    story = read_story_file(path)
    assert story.id == "full"
    # Front matter is text, not HTML: shown literally (and escaped), whitespace folded.
    assert story.title == "A <b>bold</b> title &amp; more"
    assert story.kind == "video"
    assert story.published.utcoffset().total_seconds() == 3600
    assert story.image.url == "https://x.example/i.jpg"
    assert (story.image.alt, story.image.credit, story.image.caption) == ("Alt", "Credit", "Caption")
    assert story.priority == 3 and story.duration == "4:32"
    assert '<a href="https://x.example/relative">link</a>' in story.summary
    assert "<em>emphasis</em>" in story.summary


def test_naive_dates_take_the_newsletter_timezone(tmp_path: Path):
    path = write_story(tmp_path, "naive", 'title: "T"\nurl: "https://x.example/"\npublished: 2025-01-02')
    story = read_story_file(path, timezone="Europe/London")
    assert story.published.tzinfo is not None
    assert story.published.isoformat() == "2025-01-02T00:00:00+00:00"


def test_story_files_are_the_markdown_files_sorted_by_name(tmp_path: Path):
    for name in ("b.md", "A.MARKDOWN", "c.markdown", "notes.txt", ".md.swp"):
        (tmp_path / name).write_text("", encoding="utf-8")
    (tmp_path / "folder.md").mkdir()
    assert [p.name for p in story_files(tmp_path)] == ["A.MARKDOWN", "b.md", "c.markdown"]
    assert story_files(tmp_path / "missing") == []


# --- a story body is a newsletter's summary, never a 10 MB article (issue 18, item 6) ---------------

PARAGRAPH = "A sentence that goes on, as long articles do, to fill the page with words. " * 8


def _story_with_body(folder: Path, story_id: str, body: str) -> Path:
    return write_story(
        folder,
        story_id,
        f'title: "Long"\nurl: "https://x.example/{story_id}"\npublished: 2025-01-06',
        body=body,
    )


def test_a_10_mb_story_body_is_cut_and_the_message_stays_small(issue_dir: Path, tmp_path: Path):
    paragraphs = (PARAGRAPH + "\n\n") * (10 * 1024 * 1024 // (len(PARAGRAPH) + 2) + 1)
    huge = _story_with_body(issue_dir / "stories", "huge", paragraphs)
    assert huge.stat().st_size > 10 * 1024 * 1024
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "digest", "build", str(issue_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    eml = (out / "issue.eml").stat().st_size
    assert eml < 300 * 1024, f"{eml:,} bytes"
    (warning,) = [line for line in result.stderr.splitlines() if "huge.md" in line]
    assert warning.startswith(f"warning: {huge}: the body is over {STORY_BODY_CHARACTERS:,} characters; ")


def test_a_long_body_is_cut_at_a_paragraph(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    paragraphs = [
        f"Paragraph {n}: {PARAGRAPH.strip()}" for n in range(STORY_BODY_CHARACTERS // len(PARAGRAPH) + 5)
    ]
    path = _story_with_body(tmp_path, "long", "\n\n".join(paragraphs))
    story = read_story_file(path)
    kept = story.summary.count("<p>")
    assert story.summary.endswith(f"<p>{paragraphs[kept - 1]}</p>")  # whole paragraphs, the last that fit
    kept_text = "\n\n".join(paragraphs[:kept])
    assert len(kept_text) <= STORY_BODY_CHARACTERS
    assert len("\n\n".join(paragraphs[: kept + 1])) > STORY_BODY_CHARACTERS
    cut = f"cut to the first {len(kept_text):,}"
    assert [r.getMessage() for r in caplog.records] == [
        f"warning: {path}: the body is over {STORY_BODY_CHARACTERS:,} characters; {cut}"
    ]


def test_one_endless_paragraph_is_cut_at_a_word(tmp_path: Path):
    path = _story_with_body(tmp_path, "wall", "word " * STORY_BODY_CHARACTERS)
    story = read_story_file(path)
    assert story.summary.startswith("<p>word word") and story.summary.endswith("word</p>")
    assert len(story.summary) == len("<p></p>") + STORY_BODY_CHARACTERS - 1  # whole words, stripped


def test_a_body_under_the_cap_is_kept_whole_without_a_warning(tmp_path: Path, caplog):
    body = "\n\n".join([PARAGRAPH] * (STORY_BODY_CHARACTERS // (len(PARAGRAPH) + 2)))
    story = read_story_file(_story_with_body(tmp_path, "fits", body))
    assert story.summary.count("<p>") == body.count(PARAGRAPH) and not caplog.records


def test_a_gathered_folder_reports_the_cut_in_its_source_report(tmp_path: Path):
    _story_with_body(tmp_path / "desk", "huge", "word " * (STORY_BODY_CHARACTERS + 1))
    source = Source(kind=SourceKind.FOLDER, location=str(tmp_path / "desk"), name="Desk")
    (report,) = gather_week([source], WEEK, now=NOW).report
    words = f"cut to the first {STORY_BODY_CHARACTERS - 1:,}"  # whole words, less the last space
    assert report.warnings == (f"huge.md: the body is over {STORY_BODY_CHARACTERS:,} characters; {words}",)


def test_a_file_past_the_read_cap_cut_inside_a_character_is_still_utf8(tmp_path: Path):
    """Only STORY_FILE_BYTES are read; the two bytes of an "é" split by that cut are no error."""
    body = "é" * STORY_FILE_BYTES  # two bytes each: the cap falls inside one of them
    story = read_story_file(_story_with_body(tmp_path, "accents", body))
    assert story.summary == f"<p>{'é' * STORY_BODY_CHARACTERS}</p>"
