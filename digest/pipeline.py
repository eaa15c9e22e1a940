"""`digest build`: one issue folder → index.html, issue.txt and issue.eml. Reads like its steps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from digest.compose import Composition, compose_config
from digest.deliver.message import build_message
from digest.gather import gather_issue_stories
from digest.gather.readers import read_story_folder
from digest.lint import LintReport, lint_rendered
from digest.model import Issue, RenderedIssue, Story
from digest.render import load_theme, render_issue
from digest.settings import IssueConfig, load_issue_config
from digest.store import open_store
from digest.store.run_history import IssueHistory
from digest.urls import canonical_url
from digest.weekly import issue_id_for

HTML_FILE = "index.html"
TEXT_FILE = "issue.txt"
EML_FILE = "issue.eml"


@dataclass(frozen=True)
class BuildResult:
    rendered: RenderedIssue
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    lint: LintReport | None = None
    composition: Composition | None = None
    """Why each story is where it is, what was left out, and the composer's warnings."""

    @property
    def issue(self) -> Issue:
        return self.rendered.issue

    @property
    def html_bytes(self) -> int:
        return len(self.rendered.html.encode("utf-8"))


def load_stories(config: IssueConfig) -> list[Story]:
    if config.gathering.sources:  # the week from [[sources]], plus the folder's own stories/
        return gather_issue_stories(config)
    return read_story_folder(config.stories_dir, timezone=config.newsletter.timezone)


def recent_stories(config: IssueConfig) -> dict[str, str]:
    """Canonical URLs of the stories the last issues sent, with the issue that sent each, from the
    store's history when there is one (without creating a database where there is none)."""
    delivery = config.delivery
    if delivery is None or not delivery.store_path.is_file():
        return {}
    store = open_store(delivery.store_path)
    try:
        return IssueHistory(store).recently_sent(issue_id_for(config.issue.date))
    finally:
        store.close()


def compose_with_history(config: IssueConfig, stories: list[Story]) -> Composition:
    """Compose an issue folder; a story one of the last issues sent is left out unless pinned."""
    return compose_config(config, stories, recently_sent=recent_stories(config), canonical_url=canonical_url)


def compose_folder(folder: Path) -> Composition:
    """Load an issue folder and compose it: the order, the reasons, what is left out."""
    config = load_issue_config(folder)
    return compose_with_history(config, load_stories(config))


def render_folder(folder: Path, *, theme: Path | None = None) -> tuple[RenderedIssue, dict[str, float]]:
    """Load, compose and render an issue folder, without writing anything."""
    rendered, timings, _ = render_composed(folder, theme=theme)
    return rendered, timings


def render_composed(
    folder: Path, *, theme: Path | None = None
) -> tuple[RenderedIssue, dict[str, float], Composition]:
    """`render_folder`, also returning the composition (for its warnings and left-out stories)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    config = load_issue_config(folder, theme=theme)
    stories = load_stories(config)
    timings["load"] = time.perf_counter() - started

    started = time.perf_counter()
    composition = compose_with_history(config, stories)
    timings["compose"] = time.perf_counter() - started

    rendered = render_issue(composition.issue, load_theme(config.theme_dir))
    timings.update(rendered.timings)
    return rendered, timings, composition


def write_outputs(rendered: RenderedIssue, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {"html": out / HTML_FILE, "text": out / TEXT_FILE, "eml": out / EML_FILE}
    files["html"].write_text(rendered.html, encoding="utf-8")
    files["text"].write_text(rendered.text, encoding="utf-8")
    files["eml"].write_bytes(build_message(rendered).as_bytes())
    return files


def build_issue(folder: Path, out: Path, *, theme: Path | None = None) -> BuildResult:
    rendered, timings, composition = render_composed(folder, theme=theme)
    started = time.perf_counter()
    report = lint_rendered(rendered, source=str(folder))
    timings["lint"] = time.perf_counter() - started
    started = time.perf_counter()
    files = write_outputs(rendered, out)
    timings["write"] = time.perf_counter() - started
    return BuildResult(rendered=rendered, files=files, timings=timings, lint=report, composition=composition)
