"""The only module that strings the stages together; it reads like their order:

    load_issue_config (settings) → gather_stories (gather) → compose_week (compose, with what the
    last issues sent) → render (render) → lint (lint) → write_outputs / prepare (deliver)

`digest build`, `digest send`, `digest lint`, `digest run`, the preview and the web archive all come
through here, so each of them reads each settings file once, gathers once, composes once and
renders once. A message's render is the pair of variants the splice needs (with and without a
name); the plain copy that is linted, archived and shown is filled in from them, not rendered again.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from digest.compose import Composition, compose_config
from digest.deliver.pool import SendReport
from digest.deliver.send import (
    PROOF_PREFIX,
    DeliveryRenders,
    PreparedSend,
    Purpose,
    prepare_issue,
    render_for_delivery,
    send_proofs,
)
from digest.deliver.snapshot import write_outputs
from digest.deliver.tokens import load_secret
from digest.errors import ConfigError
from digest.gather import SourceReport, gather_issue, read_story_folder
from digest.lint import LintReport, lint_rendered
from digest.model import Issue, RenderedIssue, Story
from digest.render import Theme, load_theme, render_issue
from digest.settings import DeliverySettings, IssueConfig, load_issue_config
from digest.settings.tracking import TRACKING_OFF
from digest.store import open_store
from digest.store.run_history import IssueHistory
from digest.urls import canonical_url
from digest.weekly import issue_id_for
from digest.words import plural

# --- gather: the week's material ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Week:
    """One week's material: the issue's settings, its stories, and what gathering said."""

    config: IssueConfig
    stories: list[Story]
    sources: tuple[SourceReport, ...] = ()
    """Per source: fetched, parsed, in the week, kept, dropped and why (gathered weeks only)."""
    problems: tuple[str, ...] = ()
    """One line per source that failed or gave a warning."""


def gather_stories(config: IssueConfig) -> Week:
    """The week's stories: gathered from [[sources]] (plus the folder's own), or the folder's alone."""
    if not config.gathering.sources:
        return Week(config, read_story_folder(config.stories_dir, timezone=config.newsletter.timezone))
    stories, gathered = gather_issue(config)
    return Week(config, stories, gathered.report, tuple(gathered.problems(failures_are_errors=False)))


def load_stories(config: IssueConfig) -> list[Story]:
    return gather_stories(config).stories


# --- compose ----------------------------------------------------------------------------------------


def recent_stories(config: IssueConfig) -> dict[str, str]:
    """Canonical URLs of the stories the last issues sent, with the issue that sent each, from the
    store's history when there is one (without creating a database where there is none)."""
    delivery = config.delivery
    if delivery is None or not delivery.has_store:
        return {}
    store = open_store(delivery.store)
    try:
        return IssueHistory(store).recently_sent(issue_id_for(config.issue.date))
    finally:
        store.close()


def compose_week(week: Week) -> Composition:
    """Compose; a story one of the last issues sent is left out unless the editor pinned it."""
    return compose_config(
        week.config, week.stories, recently_sent=recent_stories(week.config), canonical_url=canonical_url
    )


@dataclass(frozen=True)
class ComposedIssue:
    """An issue folder loaded, gathered and composed once, with its theme: what every command
    after composing (build, send, preview, lint) starts from."""

    week: Week
    composition: Composition
    theme: Theme
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def config(self) -> IssueConfig:
        return self.week.config

    @property
    def issue(self) -> Issue:
        return self.composition.issue


def compose_issue(folder: Path, *, theme: Path | None = None) -> ComposedIssue:
    """Load an issue folder's settings (each file once), gather its week and compose it."""
    started = time.perf_counter()
    return compose_loaded(load_issue_config(folder, theme=theme), started=started)


def compose_loaded(
    config: IssueConfig, *, started: float | None = None, week: Week | None = None
) -> ComposedIssue:
    """`compose_issue` for settings already loaded (the preview loads them first, to watch files,
    and may have gathered the week already: it keeps the week's story ids for the editor's buttons)."""
    started = time.perf_counter() if started is None else started
    week = gather_stories(config) if week is None else week
    loaded = time.perf_counter()
    composition = compose_week(week)
    timings = {"load": loaded - started, "compose": time.perf_counter() - loaded}
    return ComposedIssue(week, composition, load_theme(config.theme_dir), timings)


def compose_folder(folder: Path) -> Composition:
    """Load an issue folder and compose it: the order, the reasons, what is left out."""
    return compose_issue(folder).composition


# --- render, lint, write ----------------------------------------------------------------------------


def render_folder(folder: Path, *, theme: Path | None = None) -> tuple[RenderedIssue, dict[str, float]]:
    """Load, compose and render an issue folder, without writing anything."""
    composed = compose_issue(folder, theme=theme)
    rendered = render_issue(composed.issue, composed.theme)
    return rendered, {**composed.timings, **rendered.timings}


def lint_folder(folder: Path) -> LintReport:
    """`digest lint ISSUE_DIR`: the issue rendered with its settings, then checked."""
    rendered, _ = render_folder(folder)
    return lint_rendered(rendered, source=str(folder))


@dataclass(frozen=True, slots=True)
class Preflight:
    """The one rule before an issue goes out, the same in build, send, run and the preview: lint
    errors stop it (unless a person forces it); warnings are shown and let it through."""

    report: LintReport

    @property
    def passed(self) -> bool:
        return self.report.ok

    def verdict(self) -> str:
        """One line: whether this issue may be sent, and the first reason when not."""
        warnings = len(self.report.warnings)
        if self.passed:
            return "ready to send" + (f" ({plural(warnings, 'lint warning')})" if warnings else "")
        first = self.report.errors[0]
        errors = plural(len(self.report.errors), "lint error")
        return f"not sendable: {errors}, first {first.code}: {first.message}"


def preflight(rendered: RenderedIssue, *, source: str = "") -> Preflight:
    """Lint the copy that goes out (the plain one: every recipient's differs only in name and links)."""
    return Preflight(lint_rendered(rendered, source=source or rendered.issue.issue_id))


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

    @property
    def preflight(self) -> Preflight | None:
        return Preflight(self.lint) if self.lint is not None else None


def build_issue(folder: Path, out: Path, *, theme: Path | None = None) -> BuildResult:
    """`digest build`: load → gather → compose → render → lint → index.html, issue.txt, issue.eml."""
    composed = compose_issue(folder, theme=theme)
    rendered = render_issue(composed.issue, composed.theme)
    timings = {**composed.timings, **rendered.timings}
    started = time.perf_counter()
    report = lint_rendered(rendered, source=str(folder))
    timings["lint"] = time.perf_counter() - started
    started = time.perf_counter()
    files = write_outputs(rendered, out)
    timings["write"] = time.perf_counter() - started
    return BuildResult(rendered, files, timings, lint=report, composition=composed.composition)


# --- deliver: the message, encoded once -------------------------------------------------------------


def delivery_of(config: IssueConfig) -> DeliverySettings:
    if config.delivery is None:
        raise ConfigError("no delivery settings", where=config.folder)
    return config.delivery


def prepare(
    composed: ComposedIssue,
    purpose: Purpose = Purpose.SEND,
    *,
    renders: DeliveryRenders | None = None,
    environ: dict[str, str] | None = None,
    date: dt.datetime | None = None,
) -> PreparedSend:
    """The composed issue as a message template. A real send needs a real signing secret; proofs
    and dry runs fall back to the development one (their links unsubscribe nobody real)."""
    delivery = delivery_of(composed.config)
    secret = load_secret(delivery.secret_file, environ=environ, allow_development=purpose is not Purpose.SEND)
    return prepare_issue(
        composed.issue,
        composed.theme,
        delivery,
        secret,
        subject_prefix=PROOF_PREFIX if purpose is Purpose.PROOF else "",
        date=date,
        renders=renders,
    )


def prepare_folder(
    folder: Path,
    purpose: Purpose = Purpose.SEND,
    *,
    theme: Path | None = None,
    environ: dict[str, str] | None = None,
    date: dt.datetime | None = None,
) -> PreparedSend:
    """`digest send`: load, gather, compose and prepare an issue folder, each once."""
    return prepare(compose_issue(folder, theme=theme), purpose, environ=environ, date=date)


def send_proof_folder(
    folder: Path, addresses: list[str], *, theme: Path | None = None, environ: dict[str, str] | None = None
) -> SendReport:
    """For the preview's "Send proof" button: one call from an issue folder to the inboxes."""
    prepared = prepare_folder(folder, Purpose.PROOF, theme=theme, environ=environ)
    return send_proofs(prepared, addresses, environ=environ)


def send_proof_loaded(
    config: IssueConfig, addresses: list[str], *, environ: dict[str, str] | None = None
) -> SendReport:
    """`send_proof_folder` for settings already loaded: a week from feeds has no folder to load."""
    prepared = prepare(compose_loaded(config), Purpose.PROOF, environ=environ)
    return send_proofs(prepared, addresses, environ=environ)


def render_message(composed: ComposedIssue) -> DeliveryRenders:
    """The two variants a message is spliced from; `.plain()` is the copy to lint and archive."""
    delivery = composed.config.delivery
    tracking = delivery.tracking if delivery is not None else TRACKING_OFF
    return render_for_delivery(composed.issue, composed.theme, tracking)
