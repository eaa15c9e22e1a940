"""Which tables each settings file may hold, so a typo in a table's name is caught up front.

An issue.toml is read with the digest.toml above it layered under it (see `layering`); a
digest.toml read for unattended runs must hold nothing else; gather, reading a digest.toml on its
own, looks only at its own tables and leaves the others to their commands.
"""

from __future__ import annotations

from difflib import get_close_matches

from pydantic import ConfigDict, Field

from digest.errors import ConfigError
from digest.settings.archive import ArchiveSettings
from digest.settings.compose import ComposeSettings
from digest.settings.delivery import DkimSettings, SmtpSettings, StoreSettings
from digest.settings.desk import DeskSettings
from digest.settings.feedback import FeedbackSettings
from digest.settings.files import SettingsFile, SettingsFiles
from digest.settings.gather import GatherSettings, SourceSettings
from digest.settings.issue import IssueSettings, StoryOverride
from digest.settings.newsletter import NewsletterSettings
from digest.settings.render import RenderSettings
from digest.settings.schedule import ScheduleSettings
from digest.settings.signup import SignupSettings
from digest.settings.table import Table
from digest.settings.throttle import NO_THROTTLE, ThrottleSettings
from digest.settings.tracking import TrackingSettings
from digest.settings.webhooks import WebhooksSettings


class IssueFile(Table):
    """An issue.toml with the digest.toml above it layered under it."""

    newsletter: NewsletterSettings
    issue: IssueSettings
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings = SmtpSettings()
    dkim: DkimSettings | None = None
    compose: ComposeSettings = ComposeSettings()
    stories: dict[str, StoryOverride] = Field(default_factory=dict)
    sources: list[SourceSettings] = Field(default_factory=list)
    """Where the week's stories come from, besides the folder's own stories/."""
    gather: GatherSettings = GatherSettings()
    render: RenderSettings = RenderSettings()


class ProjectFile(Table):
    """A digest.toml for unattended runs: every table is declared, so a typo is caught up front."""

    newsletter: NewsletterSettings
    schedule: ScheduleSettings
    archive: ArchiveSettings = ArchiveSettings()
    feedback: FeedbackSettings = FeedbackSettings()
    webhooks: WebhooksSettings = WebhooksSettings()
    signup: SignupSettings = SignupSettings()
    tracking: TrackingSettings = TrackingSettings()
    desk: DeskSettings = DeskSettings()
    compose: ComposeSettings = ComposeSettings()
    sources: list[SourceSettings] = Field(default_factory=list)
    gather: GatherSettings = GatherSettings()
    render: RenderSettings = RenderSettings()
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings = SmtpSettings()
    dkim: DkimSettings | None = None
    throttle: ThrottleSettings = NO_THROTTLE


class ProjectGatherFile(Table):
    """The parts of a digest.toml gather reads; its other tables belong to other commands."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    newsletter: NewsletterSettings | None = None
    sources: list[SourceSettings] = Field(default_factory=list)
    gather: GatherSettings = GatherSettings()
    render: RenderSettings = RenderSettings()


def unknown_tables(file: SettingsFile) -> list[str]:
    """One problem line per table of `file` that no command knows, naming the closest one."""
    known = set(IssueFile.model_fields) | set(ProjectFile.model_fields)
    return [_unknown_table(name, known) for name in file.tables if name not in known]


def check_table_names(files: SettingsFiles) -> None:
    """Every table of every file read is one some command knows: `[dkimm]` is a typo that would
    otherwise leave mail unsigned, so every command stops on it, naming the closest table."""
    for file in files.layers:
        if problems := unknown_tables(file):
            raise ConfigError("; ".join(problems), where=file.path)


def _unknown_table(name: str, known: set[str]) -> str:
    close = get_close_matches(name, sorted(known), n=1)
    return f"unknown table [{name}]" + (f" (did you mean [{close[0]}]?)" if close else "")
