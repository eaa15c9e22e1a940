"""`[tracking]` (digest.toml only): click counting through `digest serve`, off by default.

Privacy first: with `clicks` on, counts are anonymous per link and slot (an opaque key per message
tells unique clickers apart); who clicked is kept only with `individual`, and opens only with `opens`.
"""

from __future__ import annotations

from pydantic import Field, ValidationError, field_validator

from digest.settings.files import SettingsFiles
from digest.settings.newsletter import check_base_url
from digest.settings.table import Table, check_http_url, invalid_settings


class TrackingSettings(Table):
    clicks: bool = False
    """Send every story, sponsor and footer link through `digest serve` (GET /c/<token>) to count it."""
    individual: bool = False
    """Keep which subscriber clicked (erased with the subscriber); off: anonymous counts only."""
    opens: bool = False
    """Add an open pixel (counted under slot "open"; inflated by mail privacy features)."""
    too_soon_seconds: int = Field(default=60, ge=0, le=86400)
    """A click this soon after its copy was delivered is a link scanner's (machine: too-soon)."""
    burst_seconds: float = Field(default=5.0, gt=0, le=60)
    """Clicks of one message on several links within this window are a scanner's (machine: burst)."""
    base_url: str = ""
    """Where the tracked links point ("": [newsletter] base_url, the address of `digest serve`)."""

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return check_base_url(check_http_url(value)).rstrip("/") if value else ""

    def links_base(self, newsletter_base_url: str) -> str:
        return self.base_url or newsletter_base_url


TRACKING_OFF = TrackingSettings()


class _TrackingTable(Table):
    """The table under its name, so that each problem is told as "[tracking] key: …"."""

    tracking: TrackingSettings = TRACKING_OFF


def tracking_settings(files: SettingsFiles) -> TrackingSettings:
    """[tracking] of the digest.toml among `files` (the only file that may set it)."""
    project = files.project
    table = project.tables.get("tracking", {}) if project is not None else {}
    try:
        return _TrackingTable.model_validate({"tracking": table}).tracking
    except ValidationError as e:
        assert project is not None  # the defaults validate
        raise invalid_settings(e, project.path, _TrackingTable) from None
