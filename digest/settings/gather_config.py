"""`digest gather`'s settings: from an issue folder, a digest.toml, or neither."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from digest.settings.file_schemas import ProjectGatherFile, check_table_names
from digest.settings.files import (
    ISSUE_FILE,
    PROJECT_FILE,
    SettingsFiles,
    find_project_file,
    read_issue_files,
    read_settings_file,
)
from digest.settings.gather import GatherConfig, GatherSettings, gathering, state_dir_for
from digest.settings.issue_config import issue_config_from, load_issue_config
from digest.settings.table import invalid_settings


def load_gather_config(path: Path | None = None, *, cwd: Path | None = None) -> GatherConfig:
    """Sources and settings for `digest gather`, from an issue.toml, a digest.toml or neither.

    ``path`` may be either file or an issue folder. Without one: ./issue.toml if present, else
    the nearest digest.toml at or above ``cwd``, else no sources (they come from the command line).
    """
    cwd = (cwd or Path.cwd()).resolve()
    if path is None:
        if (cwd / ISSUE_FILE).is_file():
            return load_issue_config(cwd).gathering
        path = find_project_file(cwd)
        if path is None:
            return GatherConfig(state_dir=state_dir_for(GatherSettings(), cwd, cwd))
    path = path.resolve()
    if path.is_dir():
        if (path / ISSUE_FILE).is_file():
            return load_issue_config(path).gathering
        path = path / PROJECT_FILE
    file = read_settings_file(path)
    if path.name == ISSUE_FILE:
        return issue_config_from(read_issue_files(path.parent, known=[file])).gathering
    if "issue" in file.tables:
        return load_issue_config(path.parent).gathering
    check_table_names(SettingsFiles(project=file))
    try:
        parsed = ProjectGatherFile.model_validate(file.tables)
    except ValidationError as e:
        raise invalid_settings(e, path, ProjectGatherFile) from None
    timezone = parsed.newsletter.timezone if parsed.newsletter else "UTC"
    return gathering(
        SettingsFiles(project=file), parsed.sources, parsed.gather, parsed.render, timezone=timezone
    )
