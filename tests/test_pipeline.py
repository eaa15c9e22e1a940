"""Each step once: a build, a send, a lint, a preview page and a run each read every settings file
once, gather once, compose once and render once (a message's render being the two variants the
splice needs: with and without a name). Counted by wrapping the stages' own entry points wherever
the package refers to them, so a second call through any path shows up."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import digest.compose
import digest.gather
import digest.gather.readers
import digest.render
import digest.settings
from digest.cli import main
from digest.deliver.send import Purpose
from digest.pipeline import build_issue, lint_folder, prepare_folder
from digest.runs.run import ExitCode, run_issue
from digest.settings import load_project_config
from digest.settings.project import IssueFolder
from digest.web.preview.snapshot import take_snapshot
from tests.conftest import DELIVERY_TOML, SAMPLE_WEEKS, TEST_SECRET, replace_everywhere, write_story
from tests.schedule_fixtures import TIDEWATER_DATE, meridian_feed_project, tidewater_project

STEPS: dict[str, Callable[[], Callable[..., Any]]] = {
    "read": lambda: digest.settings.read_toml,
    "gather feeds": lambda: digest.gather.gather_week,
    "read story folder": lambda: digest.gather.readers.read_story_folder,
    "compose": lambda: digest.compose.compose,
    "load theme": lambda: digest.render.load_theme,
    "render": lambda: digest.render.render_issue,
}


class StepCounter:
    """Counts calls of each step; settings reads are also counted per file."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.files: Counter[Path] = Counter()

    def wrap(self, step: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[step] += 1
            if step == "read":
                self.files[Path(args[0]).resolve()] += 1
            return original(*args, **kwargs)

        return counted

    def each_file_read_once(self) -> bool:
        return bool(self.files) and max(self.files.values()) == 1


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[StepCounter]:
    """Wrap every reference to each step's function in every digest module."""
    counter = StepCounter()
    for step, find in STEPS.items():
        original = find()
        replace_everywhere(monkeypatch, original, counter.wrap(step, original))
    yield counter


@pytest.fixture
def feed_week(tmp_path: Path) -> Path:
    """An issue folder whose week is gathered from a local feed listed in the digest.toml above."""
    config = meridian_feed_project(tmp_path / "meridian", extra=DELIVERY_TOML)
    folder = config.parent / "2025-01-08"
    folder.mkdir()
    (folder / "issue.toml").write_text("[issue]\ndate = 2025-01-08\n", encoding="utf-8")
    return folder


def test_a_build_does_each_step_once(feed_week: Path, tmp_path: Path, steps: StepCounter):
    build_issue(feed_week, tmp_path / "out")
    assert steps.each_file_read_once(), steps.files
    assert set(steps.files) == {feed_week / "issue.toml", feed_week.parent / "digest.toml"}
    assert steps.calls["gather feeds"] == 1
    assert steps.calls["compose"] == 1
    assert steps.calls["load theme"] == 1
    assert steps.calls["render"] == 1


def test_a_lint_of_a_folder_does_each_step_once(feed_week: Path, steps: StepCounter):
    lint_folder(feed_week)
    assert steps.each_file_read_once(), steps.files
    assert (steps.calls["gather feeds"], steps.calls["compose"], steps.calls["render"]) == (1, 1, 1)


def test_preparing_a_send_renders_the_two_variants_once(feed_week: Path, steps: StepCounter):
    prepared = prepare_folder(feed_week, Purpose.SEND, environ={"DIGEST_SECRET": TEST_SECRET})
    assert prepared.issue.stories
    assert steps.each_file_read_once(), steps.files
    assert (steps.calls["gather feeds"], steps.calls["compose"], steps.calls["load theme"]) == (1, 1, 1)
    assert steps.calls["render"] == 2  # with a name and without: every copy is spliced from these


def test_a_preview_page_does_each_step_once(feed_week: Path, steps: StepCounter):
    snapshot = take_snapshot(IssueFolder(path=feed_week, key="2025-01-08"))
    assert snapshot.ok and snapshot.prepared is not None, snapshot.problems
    assert snapshot.lint is not None
    assert steps.each_file_read_once(), steps.files
    assert (steps.calls["gather feeds"], steps.calls["compose"], steps.calls["load theme"]) == (1, 1, 1)
    # The page shows persona copies (two variants); the plain copy it lints is filled in from them.
    assert steps.calls["render"] == 2


def test_the_plain_copy_filled_in_equals_a_render(feed_week: Path, tmp_path: Path):
    """What the preview and a run lint and archive is byte for byte what `digest build` renders."""
    snapshot = take_snapshot(IssueFolder(path=feed_week, key="2025-01-08"))
    built = build_issue(feed_week, tmp_path / "out")
    assert snapshot.rendered is not None
    assert snapshot.rendered.html == built.rendered.html
    assert snapshot.rendered.text == built.rendered.text


def test_a_run_without_send_does_each_step_once(tmp_path: Path, steps: StepCounter):
    config = meridian_feed_project(tmp_path / "meridian", extra=DELIVERY_TOML)
    project = load_project_config(config)
    steps.calls.clear()
    steps.files.clear()
    result = run_issue(project, dt.date(2025, 1, 8))
    assert result.exit_code is ExitCode.DONE, result.reason
    assert steps.calls["read"] == 0  # the project was loaded once, before; the week needs no more
    assert (steps.calls["gather feeds"], steps.calls["compose"], steps.calls["render"]) == (1, 1, 1)


def test_a_run_of_an_issue_folder_reads_its_files_once(tmp_path: Path, steps: StepCounter):
    config = tidewater_project(tmp_path / "tidewater")
    shutil.rmtree(config.parent / "built", ignore_errors=True)
    steps.files.clear()
    project = load_project_config(config)
    result = run_issue(project, TIDEWATER_DATE)
    assert result.exit_code is ExitCode.DONE, result.reason
    assert steps.each_file_read_once(), steps.files
    assert (steps.calls["read story folder"], steps.calls["compose"], steps.calls["render"]) == (1, 1, 1)


# --- one preflight policy ----------------------------------------------------------------------------


def test_build_and_lint_agree_an_issue_must_not_go_out(issue_dir: Path, tmp_path: Path):
    """An http:// photo is a lint error: `digest lint` exits 1, and so does `digest build` (which
    still writes the files for the editors to look at), both naming the same first finding."""
    write_story(
        issue_dir / "stories",
        "insecure-photo",
        """
        title: "A story whose photo is served over http"
        url: "https://test-press.example/insecure"
        priority: 9
        image: "http://test-press.example/photo.jpg"
        image_alt: "A photo"
        """,
    )
    runner = CliRunner()
    built = runner.invoke(main, ["build", str(issue_dir), "--out", str(tmp_path / "out")])
    linted = runner.invoke(main, ["lint", str(issue_dir)])
    assert built.exit_code == 1 and linted.exit_code == 1
    assert (tmp_path / "out" / "index.html").is_file()
    assert "not sendable: 1 lint error, first img-not-https" in " ".join(built.output.split())
    assert "img-not-https" in linted.output


def test_a_clean_issue_is_ready_to_send(tmp_path: Path):
    built = CliRunner().invoke(main, ["build", str(SAMPLE_WEEKS["meridian"]), "--out", str(tmp_path / "o")])
    assert built.exit_code == 0, built.output
    assert "preflight  ready to send" in built.output
