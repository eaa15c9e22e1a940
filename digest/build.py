"""`digest build`: one issue folder → index.html, issue.txt and issue.eml. Reads like its steps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from digest.compose import compose_issue
from digest.config import IssueConfig, load_issue_config
from digest.deliver.message import build_message
from digest.model import Issue, RenderedIssue, Story
from digest.render import load_theme, render_issue
from digest.sources import read_story_folder

HTML_FILE = "index.html"
TEXT_FILE = "issue.txt"
EML_FILE = "issue.eml"


@dataclass(frozen=True)
class BuildResult:
    rendered: RenderedIssue
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def issue(self) -> Issue:
        return self.rendered.issue

    @property
    def html_bytes(self) -> int:
        return len(self.rendered.html.encode("utf-8"))


def load_stories(config: IssueConfig) -> list[Story]:
    return read_story_folder(config.stories_dir, timezone=config.newsletter.timezone)


def compose_folder(
    folder: Path, *, theme: Path | None = None, timings: dict[str, float] | None = None
) -> tuple[IssueConfig, Issue]:
    """Load and compose an issue folder (what rendering and sending both start from)."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    config = load_issue_config(folder, theme=theme)
    stories = load_stories(config)
    timings["load"] = time.perf_counter() - started

    started = time.perf_counter()
    issue = compose_issue(config.newsletter, config.issue, stories)
    timings["compose"] = time.perf_counter() - started
    return config, issue


def render_folder(folder: Path, *, theme: Path | None = None) -> tuple[RenderedIssue, dict[str, float]]:
    """Load, compose and render an issue folder, without writing anything."""
    timings: dict[str, float] = {}
    config, issue = compose_folder(folder, theme=theme, timings=timings)
    rendered = render_issue(issue, load_theme(config.theme_dir))
    timings.update(rendered.timings)
    return rendered, timings


def write_outputs(rendered: RenderedIssue, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {"html": out / HTML_FILE, "text": out / TEXT_FILE, "eml": out / EML_FILE}
    files["html"].write_text(rendered.html, encoding="utf-8")
    files["text"].write_text(rendered.text, encoding="utf-8")
    files["eml"].write_bytes(build_message(rendered).as_bytes())
    return files


def build_issue(folder: Path, out: Path, *, theme: Path | None = None) -> BuildResult:
    rendered, timings = render_folder(folder, theme=theme)
    started = time.perf_counter()
    files = write_outputs(rendered, out)
    timings["write"] = time.perf_counter() - started
    return BuildResult(rendered=rendered, files=files, timings=timings)
