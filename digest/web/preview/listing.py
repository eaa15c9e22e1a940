"""The rows of the preview's list of weeks: each known week with what can be said about it
without gathering from the network (a week from feeds is rendered only when opened)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from digest.web.preview.snapshot import IssueSnapshot
from digest.web.preview.weeks import KnownWeek


@dataclass(frozen=True)
class WeekRow:
    week: KnownWeek
    snapshot: IssueSnapshot | None = None
    """The rendered issue folder; None for a week from feeds (not gathered for the list)."""

    @property
    def date(self) -> dt.date | None:
        if self.snapshot is not None and self.snapshot.settings is not None:
            return self.snapshot.settings.date
        if self.week.planned is not None:
            return self.week.planned.date
        return self.week.archived.date if self.week.archived else None

    @property
    def subject(self) -> str | None:
        issue = self.snapshot.issue if self.snapshot else None
        issue = issue or self.week.archived
        return issue.subject if issue else None

    @property
    def story_count(self) -> int | None:
        issue = self.snapshot.issue if self.snapshot else None
        issue = issue or self.week.archived
        return len(issue.stories) if issue else None

    def sort_key(self) -> tuple[int, str]:
        """Newest first; undated (broken) folders last, by name."""
        return (-(self.date.toordinal() if self.date else 0), self.week.folder.key)
