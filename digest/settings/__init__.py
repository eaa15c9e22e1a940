"""issue.toml and digest.toml → validated settings. Every error names the file and the key.

The package's face: callers import from here. Inside, each file is read once (`files`), issue.toml
is layered over digest.toml by one rule (`layering`), a relative path is relative to the file that
declared it (`paths`), and each TOML table has its own schema module. `project` (finding issue
folders) and `editor_choices` (the preview's writer) are imported by their own names.
"""

from digest.settings.archive import ArchiveSettings
from digest.settings.compose import ComposeSettings
from digest.settings.delivery import (
    DeliverySettings,
    DkimSettings,
    SmtpSettings,
    StoreSettings,
)
from digest.settings.delivery_config import ProjectDelivery, load_delivery_settings
from digest.settings.desk import DeskSettings
from digest.settings.feedback import FeedbackSettings
from digest.settings.file_schemas import IssueFile, ProjectFile
from digest.settings.files import (
    ISSUE_FILE,
    PROJECT_FILE,
    STORIES_DIR,
    SettingsFile,
    SettingsFiles,
    find_project_file,
    project_file,
    read_toml,
)
from digest.settings.gather import STATE_DIR, STATE_DIR_ENV, GatherConfig, GatherSettings, SourceSettings
from digest.settings.gather_config import load_gather_config
from digest.settings.issue import IssueSettings, StoryOverride
from digest.settings.issue_config import IssueConfig, load_issue_config
from digest.settings.newsletter import NewsletterSettings, UtmSettings
from digest.settings.project_config import ProjectConfig, load_project_config
from digest.settings.schedule import ScheduleSettings
from digest.settings.throttle import DomainThrottle, ThrottleSettings, WarmupThrottle

__all__ = [
    "ISSUE_FILE",
    "PROJECT_FILE",
    "STATE_DIR",
    "STATE_DIR_ENV",
    "STORIES_DIR",
    "ArchiveSettings",
    "ComposeSettings",
    "DeliverySettings",
    "DeskSettings",
    "DkimSettings",
    "DomainThrottle",
    "FeedbackSettings",
    "GatherConfig",
    "GatherSettings",
    "IssueConfig",
    "IssueFile",
    "IssueSettings",
    "NewsletterSettings",
    "ProjectConfig",
    "ProjectDelivery",
    "ProjectFile",
    "ScheduleSettings",
    "SettingsFile",
    "SettingsFiles",
    "SmtpSettings",
    "SourceSettings",
    "StoreSettings",
    "StoryOverride",
    "ThrottleSettings",
    "UtmSettings",
    "WarmupThrottle",
    "find_project_file",
    "load_delivery_settings",
    "load_gather_config",
    "load_issue_config",
    "load_project_config",
    "project_file",
    "read_toml",
]
