"""The one layering rule: issue.toml over digest.toml.

A project sets what every issue shares in digest.toml; an issue folder's issue.toml may set the
same tables for that one issue. Per table:

- ``[newsletter]``, ``[compose]``, ``[store]``, ``[smtp]``, ``[dkim]``, ``[gather]``, ``[render]``:
  merged key by key, issue.toml's keys winning. A sub-table such as ``[newsletter.utm]`` is one
  key: an issue that sets it replaces the project's whole.
- ``[[sources]]``: an array of tables, replaced whole: an issue that lists sources gathers from
  those alone.
- ``[issue]``, ``[stories.<id>]``: issue.toml only.
- ``[schedule]``, ``[archive]``, ``[feedback]``, ``[webhooks]``: digest.toml only (they are the
  project's, not an issue's).

A layered table given as anything but a table is an error naming the file that gave it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from digest.errors import ConfigError
from digest.settings.files import SettingsFiles

ARRAYS_OF_TABLES = frozenset({"sources"})
"""Replaced whole by a later layer; validation says what is wrong with one that is not an array."""

PROJECT_WIDE_TABLES = ("newsletter", "compose", "store", "smtp", "dkim", "sources", "gather", "render")
"""The tables an issue.toml may set over its digest.toml."""


def layered(files: SettingsFiles, tables: Iterable[str]) -> dict[str, Any]:
    """`tables` as the files set them together, each later layer over the ones below it.

    >>> from pathlib import Path
    >>> from digest.settings.files import SettingsFile
    >>> project = SettingsFile(Path("digest.toml"), {"smtp": {"host": "a", "rate": 5}, "sources": [{}]})
    >>> issue = SettingsFile(Path("w/issue.toml"), {"smtp": {"rate": 1}})
    >>> layered(SettingsFiles(project, issue), ["smtp", "sources"])
    {'smtp': {'host': 'a', 'rate': 1}, 'sources': [{}]}
    """
    wanted = tuple(tables)
    merged: dict[str, Any] = {}
    for layer in files.layers:
        for table in wanted:
            if table not in layer.tables:
                continue
            value = layer.tables[table]
            if table in ARRAYS_OF_TABLES:
                merged[table] = value
            elif isinstance(value, dict):
                below = merged.get(table, {})
                merged[table] = {**below, **value}
            else:
                raise ConfigError(f"[{table}] must be a table", where=layer.path)
    return merged
