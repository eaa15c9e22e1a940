"""`[signup]` (digest.toml only): the public sign-up form of `digest serve`, with double opt-in.

Off unless `enabled`. The consent sentence shown beside the form is stored as a hash with each
consent record (digest/store/consent.py), so editing it here starts a new version of the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from digest.errors import ConfigError
from digest.settings.files import SettingsFiles
from digest.settings.paths import resolved_path
from digest.settings.table import Table, check_http_url, invalid_settings
from digest.urls import origin_of


class SignupSettings(Table):
    enabled: bool = False
    """Serve GET/POST /subscribe and /confirm on `digest serve`."""
    allowed_origins: list[str] = Field(default_factory=list)
    """Other sites whose pages may POST the embeddable form, e.g. ["https://www.example.org"]."""
    consent_text: str = "Yes, email me this newsletter. I can unsubscribe at any time with one click."
    """The consent sentence shown beside the button; its sha256 goes into each consent record."""
    privacy_url: str = ""
    """The privacy policy the form links to (required when enabled)."""
    confirm_expiry_days: int = Field(default=7, ge=1, le=90)
    """Days a confirmation link works."""
    welcome: bool = False
    """Send a welcome email once the address is confirmed."""
    record_ip: bool = False
    """Keep the sign-up's IP address in the consent record (off: privacy first)."""
    min_fill_seconds: float = Field(default=3.0, ge=0, le=600)
    """A hosted form sent back sooner than this after it was shown is taken for a bot (ignored)."""
    per_ip_per_hour: int = Field(default=20, ge=1)
    """Sign-ups one IP address may send in an hour (more: 429)."""
    per_address_per_hour: int = Field(default=3, ge=1)
    """Sign-ups for one address taken in an hour (more are answered alike and ignored)."""
    blocked_domains: list[str] = Field(default_factory=list)
    """Address domains refused at sign-up (a domain also blocks its subdomains)."""
    block_disposable: bool = True
    """Refuse the disposable-mail domains of the disposable-email-domains package."""
    disposable_domains_file: str = ""
    """A file of further disposable domains, one per line (relative to digest.toml)."""

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        origins = []
        for value in values:
            origin = origin_of(check_http_url(value, f"{value!r} is not an http(s) origin"))
            if origin != value.rstrip("/"):
                raise ValueError(f"{value!r}: an origin is scheme://host[:port] only, e.g. {origin!r}")
            origins.append(origin)
        return origins

    @field_validator("privacy_url")
    @classmethod
    def _privacy(cls, value: str) -> str:
        return check_http_url(value) if value.strip() else ""

    @field_validator("blocked_domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        return [value.strip().strip(".").lower() for value in values if value.strip()]


@dataclass(frozen=True, slots=True)
class SignupConfig:
    """[signup] resolved: its settings and the extra disposable-domain file's path."""

    settings: SignupSettings
    disposable_domains_file: Path | None = None
    theme_dir: Path | None = None
    """[newsletter] theme: the confirmation and welcome emails use its look."""


SIGNUP_OFF = SignupConfig(SignupSettings())


def signup_config(files: SettingsFiles, *, default_dir: Path) -> SignupConfig:
    """[signup] of the digest.toml among `files`."""
    project = files.project
    table = project.tables.get("signup", {}) if project is not None else {}
    try:
        settings = SignupSettings.model_validate(table)
    except ValidationError as e:
        assert project is not None  # the defaults validate
        raise invalid_settings(e, project.path, SignupSettings) from None
    if settings.enabled and not settings.privacy_url:
        where = project.path if project is not None else "digest.toml"
        raise ConfigError("[signup] privacy_url: a sign-up form must link to the privacy policy", where=where)
    extra = None
    if settings.disposable_domains_file:
        extra = resolved_path(
            files, "signup", "disposable_domains_file", settings.disposable_domains_file, default=default_dir
        )
    theme = project.tables.get("newsletter", {}).get("theme") if project is not None else None
    theme_dir = resolved_path(files, "newsletter", "theme", theme, default=default_dir) if theme else None
    return SignupConfig(settings, extra, theme_dir)
