"""An issue folder's week: its [[sources]] gathered, joined by the editors' own story files."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from digest.gather.duplicates import unique_ids, without_duplicates_of
from digest.gather.readers import read_story_folder
from digest.gather.report import GatherResult
from digest.gather.sources import options_for
from digest.gather.week import gather_week
from digest.gather.window import window_for
from digest.model import Story

if TYPE_CHECKING:
    from digest.settings import IssueConfig

log = logging.getLogger(__name__)


def gather_issue(config: IssueConfig) -> tuple[list[Story], GatherResult]:
    """An issue folder's week: its [[sources]] gathered, plus its own stories/ (which win duplicates),
    and the gather result (its per-source report, for the editors in a thin week).

    Sources that fail or warn are logged (one line each) and the rest are used; the editor's own
    story files are read strictly, as `digest build` always has.
    """
    own = []
    if config.stories_dir.is_dir():
        own = read_story_folder(config.stories_dir, timezone=config.newsletter.timezone)
    result = gather_week(
        config.gathering.sources, window_for(config.gathering), options=options_for(config.gathering)
    )
    for line in result.problems(failures_are_errors=False):
        log.warning(line)
    gathered = without_duplicates_of(result.stories, own)
    return [*own, *unique_ids(gathered, taken={s.id for s in own})], result
