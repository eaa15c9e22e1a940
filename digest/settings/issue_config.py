"""An issue folder's settings: its issue.toml over the digest.toml above it, each file read once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from digest.errors import ConfigError
from digest.model import Newsletter
from digest.settings.compose import ComposeSettings
from digest.settings.delivery import DeliverySettings, DeliveryTables, resolve_delivery
from digest.settings.desk import DeskSettings
from digest.settings.file_schemas import IssueFile, check_table_names
from digest.settings.files import ISSUE_FILE, STORIES_DIR, SettingsFiles, read_issue_files
from digest.settings.gather import GatherConfig, gathering
from digest.settings.issue import IssueSettings, StoryOverride
from digest.settings.layering import PROJECT_WIDE_TABLES, layered
from digest.settings.paths import resolved_path
from digest.settings.project_config import ProjectConfig
from digest.settings.table import invalid_settings, project_table


@dataclass(frozen=True, slots=True)
class IssueConfig:
    """Everything needed to build one issue folder."""

    folder: Path
    newsletter: Newsletter
    issue: IssueSettings
    theme_dir: Path | None
    project_file: Path | None
    delivery: DeliverySettings | None = None
    """Where subscribers live and how mail goes out; None only for configs built by hand."""
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    story_overrides: dict[str, StoryOverride] = field(default_factory=dict)
    """`[stories.<id>]` tables of issue.toml, by story id."""
    gathering: GatherConfig = field(default_factory=GatherConfig)
    """[[sources]] and [gather]; with no sources, the stories/ folder is the whole week."""
    desk: DeskSettings = field(default_factory=DeskSettings)
    """[desk] of the digest.toml above (the only file that may set it): what the desk may fetch."""

    @property
    def stories_dir(self) -> Path:
        return self.folder / STORIES_DIR

    @property
    def issue_file(self) -> Path:
        return self.folder / ISSUE_FILE


def _validated(files: SettingsFiles, issue_tables: Mapping[str, Any]) -> IssueFile:
    """issue.toml's own tables, and the project-wide ones layered over digest.toml's."""
    raw = {**issue_tables, **layered(files, PROJECT_WIDE_TABLES)}
    # Always a table, so a missing [newsletter] is reported key by key ("[newsletter] name: ...").
    raw.setdefault("newsletter", {})
    try:
        return IssueFile.model_validate(raw)
    except ValidationError as e:
        raise invalid_settings(e, files.where(Path.cwd()), IssueFile) from None


def issue_config_from(files: SettingsFiles, *, theme: Path | None = None) -> IssueConfig:
    """The settings of the issue folder whose issue.toml (and digest.toml above it) `files` holds."""
    assert files.issue is not None, "an issue's settings need its issue.toml"
    check_table_names(files)
    folder = files.issue.folder
    parsed = _validated(files, files.issue.tables)
    newsletter = parsed.newsletter
    theme_dir = theme
    if theme_dir is None and newsletter.theme:
        theme_dir = resolved_path(files, "newsletter", "theme", newsletter.theme, default=folder)
    delivery = DeliveryTables(store=parsed.store, smtp=parsed.smtp, dkim=parsed.dkim, newsletter=newsletter)
    return IssueConfig(
        folder=folder,
        newsletter=newsletter.to_model(),
        issue=parsed.issue,
        theme_dir=theme_dir,
        project_file=files.project.path if files.project is not None else None,
        compose=parsed.compose,
        desk=project_table(files, "desk", DeskSettings),
        story_overrides=dict(parsed.stories),
        delivery=resolve_delivery(delivery, files, default_dir=files.default_folder(Path.cwd())),
        gathering=gathering(
            files,
            parsed.sources,
            parsed.gather,
            parsed.render,
            timezone=newsletter.timezone,
            issue_date=parsed.issue.date,
        ),
    )


def load_issue_config(
    folder: Path, *, theme: Path | None = None, project: ProjectConfig | None = None
) -> IssueConfig:
    """FOLDER/issue.toml over the nearest digest.toml above it.

    `project`: the project a caller has already loaded (a run); when the folder lies under it, its
    digest.toml is layered as already read rather than read again.
    """
    folder = folder.resolve()
    if not folder.is_dir():
        raise ConfigError("is not an issue folder (expected a folder with issue.toml)", where=folder)
    files = read_issue_files(folder, known=project.files.layers if project is not None else ())
    return issue_config_from(files, theme=theme)
