"""What gather tells people and programs: each source's report, the week's result, a story as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from digest.gather.readers import ReadResult
from digest.gather.window import Window
from digest.markup import summary_text
from digest.model import Source, Story


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What happened to one source, for people (a table) and programs (JSON)."""

    source: str
    location: str
    fetched: str = ""
    """"file", "folder", "200", "304 (cached)"; empty when nothing could be fetched."""
    format: str = ""
    parsed: int = 0
    """Entries (or story files) the source held."""
    in_window: int = 0
    kept: int = 0
    dropped: tuple[tuple[str, int], ...] = ()
    """(reason, how many), most frequent first."""
    warnings: tuple[str, ...] = ()
    error: str = ""
    """Why the source gave nothing; empty when it was read."""

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass(frozen=True, slots=True)
class GatherResult:
    stories: tuple[Story, ...]
    """The week's stories, newest first, each id unique."""
    report: tuple[SourceReport, ...]
    """One report per source, in the order the sources were given."""
    window: Window
    warnings: tuple[str, ...] = ()
    """Problems that belong to no one source (the state file)."""

    @property
    def failed(self) -> tuple[SourceReport, ...]:
        return tuple(r for r in self.report if r.failed)

    def problems(self, *, failures_are_errors: bool = True) -> list[str]:
        """One line per failed source and per warning, for stderr or a log.

        `digest build` goes on without a failed source, so there its line is a warning.
        """
        if failures_are_errors:
            lines = [f"error: {r.source}: {r.error}" for r in self.report if r.failed]
        else:
            lines = [f"warning: {r.source}: not gathered ({r.error})" for r in self.report if r.failed]
        lines += [f"warning: {r.source}: {w}" for r in self.report for w in r.warnings]
        return lines + [f"warning: {w}" for w in self.warnings]


@dataclass(slots=True)
class SourceOutcome:
    """One source's progress through gather_week (mutable while it is being worked on)."""

    source: Source
    fetched: str = ""
    format: str = ""
    result: ReadResult = field(default_factory=ReadResult)
    error: str = ""
    in_window: int = 0
    kept: int = 0

    def report(self) -> SourceReport:
        return SourceReport(
            source=self.source.label,
            location=self.source.location,
            fetched=self.fetched,
            format=self.format,
            parsed=self.result.entries,
            in_window=self.in_window,
            kept=self.kept,
            dropped=tuple(self.result.dropped.most_common()),
            warnings=self.result.all_warnings(),
            error=self.error,
        )


def story_record(story: Story) -> dict[str, Any]:
    """A story as ``digest gather --json`` prints it."""
    image = story.image
    return {
        "id": story.id,
        "title": story.title,
        "url": story.url,
        "summary": story.summary,
        "teaser": story.teaser or summary_text(story.summary),
        "image": {"url": image.url, "alt": image.alt, "credit": image.credit} if image else None,
        "kind": str(story.kind),
        "sponsor": story.sponsor,
        "published": story.published.isoformat() if story.published else None,
        "source": story.source,
        "section": story.section,
        "author": story.author,
    }
