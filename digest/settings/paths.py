"""The one path rule: a relative path is relative to the folder of the file that declared it.

A key an issue.toml sets is relative to the issue folder; one digest.toml sets, to the project's
folder. A path nobody declared (a default) is relative to the folder the caller names.
"""

from __future__ import annotations

from pathlib import Path

from digest.settings.files import SettingsFiles


def declared_in(files: SettingsFiles, table: str, key: str | None = None) -> Path | None:
    """The folder of the last file that sets [table] key (or the array of tables [[table]])."""
    found = None
    for layer in files.layers:
        section = layer.tables.get(table)
        if (key is None and section is not None) or (isinstance(section, dict) and key in section):
            found = layer.folder
    return found


def resolved_path(files: SettingsFiles, table: str, key: str, value: str, *, default: Path) -> Path:
    """`value` of [table] key as an absolute path, by the rule above (`default`: nobody declared it)."""
    return ((declared_in(files, table, key) or default) / Path(value).expanduser()).resolve()
