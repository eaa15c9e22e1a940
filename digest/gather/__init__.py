"""Gather: the week's stories from every source, read, dated, kept to the week, de-duplicated, reported.

The package's face: other packages import from here, never from the modules below.

- :mod:`~digest.gather.window`: the issue's week and what falls outside it
- :mod:`~digest.gather.sources`: reading each source (fetch, reader, threads or processes)
- :mod:`~digest.gather.duplicates`: one story from two sources, the richest copy kept
- :mod:`~digest.gather.week`: :func:`gather_week`, the whole stage
- :mod:`~digest.gather.report`: the per-source report and the result
- :mod:`~digest.gather.issue`: an issue folder's week, with the editors' own story files
- ``readers/``: one reader per format (RSS/Atom, JSON Feed, a folder of story files)
"""

from __future__ import annotations

from digest.gather.duplicates import collapse_duplicates, title_key, unique_ids
from digest.gather.issue import gather_issue
from digest.gather.readers import read_story_file, read_story_folder, story_files
from digest.gather.report import GatherResult, SourceReport, story_record
from digest.gather.sources import MIN_FEEDS_FOR_PROCESSES, GatherOptions, options_for
from digest.gather.week import gather_week
from digest.gather.window import Window, week_window, window_for

__all__ = [
    "MIN_FEEDS_FOR_PROCESSES",
    "GatherOptions",
    "GatherResult",
    "SourceReport",
    "Window",
    "collapse_duplicates",
    "gather_issue",
    "gather_week",
    "options_for",
    "read_story_file",
    "read_story_folder",
    "story_files",
    "story_record",
    "title_key",
    "unique_ids",
    "week_window",
    "window_for",
]
