"""digest.toml for unattended runs (`digest run`, `digest schedule`): the whole file, read once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from digest.errors import ConfigError
from digest.model import Newsletter
from digest.settings.compose import ComposeSettings
from digest.settings.delivery import DeliverySettings, DeliveryTables, resolve_delivery
from digest.settings.desk import DeskSettings
from digest.settings.file_schemas import ProjectFile, unknown_tables
from digest.settings.files import SettingsFile, SettingsFiles, read_settings_file
from digest.settings.gather import GatherConfig, gathering
from digest.settings.paths import resolved_path
from digest.settings.schedule import ScheduleSettings
from digest.validation import describe
from digest.weekly import WEEKDAYS, WeeklySlot


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """Everything `digest run` and `digest schedule` need, read from one digest.toml."""

    path: Path
    newsletter: Newsletter
    schedule: ScheduleSettings
    archive_dir: Path
    theme_dir: Path | None
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    gathering: GatherConfig = field(default_factory=GatherConfig)
    """[[sources]] and [gather]: a week without its own issue folder is gathered from these."""
    desk: DeskSettings = field(default_factory=DeskSettings)
    """[desk]: what the editors' desk may fetch."""
    delivery: DeliverySettings | None = None
    """[store], [smtp], [dkim]: the history, the lock, the send log, and how mail goes out."""
    files: SettingsFiles = field(default_factory=SettingsFiles)
    """digest.toml as read: a week's issue folder below it layers over this instead of reading it again."""

    @property
    def timezone(self) -> str:
        """The zone the schedule runs in: [schedule] timezone, else [newsletter] timezone."""
        return self.schedule.timezone or self.newsletter.timezone

    @property
    def slot(self) -> WeeklySlot:
        return WeeklySlot(WEEKDAYS.index(self.schedule.weekday), self.schedule.time, self.timezone)


def _validated(file: SettingsFile) -> ProjectFile:
    """The whole file checked at once; a single problem is a single line. An unknown table is
    named as every command names it (with the closest table), not as pydantic's unknown key."""
    tables = unknown_tables(file)
    try:
        parsed = ProjectFile.model_validate(file.tables)
    except ValidationError as e:
        unknown = {line.split(" ", 3)[2].strip("[]") for line in tables}
        described = describe(e, model=ProjectFile)
        problems = tables + [line for line in described if line.split(":")[0] not in unknown]
    else:
        if not tables:
            return parsed
        problems = tables
    if len(problems) == 1:
        raise ConfigError(problems[0], where=file.path)
    raise ConfigError("\n  ".join(["invalid settings:", *problems]), where=file.path)


def load_project_config(path: Path) -> ProjectConfig:
    """digest.toml → validated settings, every problem reported at once, each naming file and key."""
    path = path.resolve()
    file = read_settings_file(path)
    files = SettingsFiles(project=file)
    parsed = _validated(file)
    base = path.parent
    newsletter = parsed.newsletter
    delivery = DeliveryTables(store=parsed.store, smtp=parsed.smtp, dkim=parsed.dkim, newsletter=newsletter)
    return ProjectConfig(
        path=path,
        newsletter=newsletter.to_model(),
        schedule=parsed.schedule,
        archive_dir=resolved_path(files, "archive", "path", parsed.archive.path, default=base),
        theme_dir=resolved_path(files, "newsletter", "theme", newsletter.theme, default=base)
        if newsletter.theme
        else None,
        compose=parsed.compose,
        desk=parsed.desk,
        gathering=gathering(
            files, parsed.sources, parsed.gather, parsed.render, timezone=newsletter.timezone
        ),
        delivery=resolve_delivery(delivery, files, default_dir=files.default_folder(Path.cwd().resolve())),
        files=files,
    )
