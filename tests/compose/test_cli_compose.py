"""`digest compose ISSUE_DIR [--explain] [--json]`, run as a user runs it: a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import SAMPLE_WEEKS, write_story


def digest(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )


def test_json_shape_for_the_meridian_week():
    result = digest("compose", SAMPLE_WEEKS["meridian"], "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert {"subject", "preheader", "lead", "more_from", "left_out"} <= data.keys()
    assert data["subject"] == "The Kremlin goes recruiting next door"
    assert data["lead"]["id"] == "kremlin-recruits-central-asia"
    assert data["lead"]["slot"] == "lead"
    assert data["lead"]["reason"] == "pinned"
    assert set(data["lead"]["score"]) == {"priority", "freshness", "image", "summary", "total"}
    assert [(item["id"], item["kind"], item["slot"]) for item in data["more_from"]] == [
        ("europe-pushes-back-on-musk", "article", "more-1"),
        ("meta-ai-characters", "article", "more-2"),
        ("microsoft-sparrow", "sponsored", "sponsored-1"),
        ("ces-2025-ai", "article", "more-4"),
        ("world-in-60", "video", "more-5"),
        ("walmart-parental-leave", "sponsored", "sponsored-2"),
        ("treasury-sanctions-election-ai", "article", "more-7"),
    ]
    for item in data["more_from"]:
        assert {"id", "title", "kind", "slot", "position", "reason", "detail"} <= item.keys()
        assert item["title"]
    assert data["more_from"][2]["sponsor"] == "Microsoft"
    assert data["left_out"] == []


def test_json_lists_left_out_stories_with_reasons(issue_dir: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(toml.read_text() + 'exclude = ["second"]\n[compose]\nlimit = 1\n', encoding="utf-8")
    for n in range(3):
        write_story(
            issue_dir / "stories", f"extra-{n}", f'title: "Extra {n}"\nurl: "https://test-press.example/{n}"'
        )
    result = digest("compose", issue_dir, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [item["id"] for item in data["more_from"]] == ["extra-0"]
    assert [(item["id"], item["reason"]) for item in data["left_out"]] == [
        ("second", "excluded"),
        ("extra-1", "over-limit"),
        ("extra-2", "over-limit"),
    ]


def test_human_output_shows_the_order():
    result = digest("compose", SAMPLE_WEEKS["tidewater"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    positions = [
        out.index(story_id)
        for story_id in ("seagrass-returns", "harbour-vote", "crab-on-a-budget", "ferry-timetable-sponsored")
    ]
    assert positions == sorted(positions)
    assert "sponsored-1" in out
    assert "why:" not in out


def test_explain_gives_reasons_and_score_parts():
    result = digest("compose", SAMPLE_WEEKS["tidewater"], "--explain")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "why: highest lead score" in out
    assert "priority 50 + freshness" in out
    assert "why: sponsored slot 3" in out
    assert "why: priority 4, published 2025-03-11 19:45" in out


def test_explain_lists_what_is_left_out(issue_dir: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(toml.read_text() + 'exclude = ["second"]\n', encoding="utf-8")
    result = digest("compose", issue_dir, "--explain")
    assert result.returncode == 0, result.stderr
    assert "Left out" in result.stdout
    assert "excluded by the editor" in result.stdout


def test_titles_print_as_written_not_as_markup(issue_dir: Path):
    write_story(
        issue_dir / "stories",
        "markup-title",
        'title: "[bold red]Not bold[/bold red] and [link=https://evil.example]x[/link]"\n'
        'url: "https://test-press.example/m"',
    )
    result = digest("compose", issue_dir)
    assert result.returncode == 0, result.stderr
    assert "[bold red]Not bold[/bold red]" in result.stdout
    assert "[link=https://evil.example]x[/link]" in result.stdout


def test_long_subject_warns_on_stderr_and_still_succeeds(issue_dir: Path):
    toml = issue_dir / "issue.toml"
    subject = "An unusually long subject line that no phone will show in full, alas"
    toml.write_text(toml.read_text() + f'subject = "{subject}"\n', encoding="utf-8")
    result = digest("compose", issue_dir, "--json")
    assert result.returncode == 0
    assert result.stderr.startswith("warning: the subject is 68 characters")
    assert json.loads(result.stdout)["subject"] == subject


def test_unknown_id_is_one_error_line_and_exit_2(issue_dir: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(toml.read_text() + 'lead = "lead-stroy"\n', encoding="utf-8")
    result = digest("compose", issue_dir, "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {toml}: the editor's choices do not fit the stories:")
    assert "[issue] lead: no story with id 'lead-stroy'; closest: lead-story" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_folder_is_an_error(tmp_path: Path):
    result = digest("compose", tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_build_reports_left_out_stories_and_warnings(issue_dir: Path, tmp_path: Path):
    toml = issue_dir / "issue.toml"
    toml.write_text(
        toml.read_text() + 'subject = "' + "A very long subject " * 4 + '"\n[compose]\nlimit = 0\n',
        encoding="utf-8",
    )
    result = digest("build", issue_dir, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "second (over-limit)" in result.stdout
    assert "warning: the subject is" in result.stderr
