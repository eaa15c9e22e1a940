"""Readers that turn one kind of source into stories, picked by a small registry."""

from __future__ import annotations

from digest.sources.folder import read_story_file, read_story_folder

__all__ = ["read_story_file", "read_story_folder"]
