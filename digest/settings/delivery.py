"""`[store]`, `[smtp]`, `[dkim]` and the secret file: where subscribers live and how mail goes out
(and how fast: `[throttle]`, its schema in throttle.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from digest.settings.archive import archive_dir
from digest.settings.feedback import feedback_settings
from digest.settings.files import SettingsFiles
from digest.settings.newsletter import NewsletterSettings
from digest.settings.paths import resolved_path
from digest.settings.table import Table
from digest.settings.throttle import NO_THROTTLE, ThrottleSettings, throttle_settings
from digest.settings.tracking import TRACKING_OFF, TrackingSettings, tracking_settings


class StoreSettings(Table):
    path: str = "digest.db"
    """The SQLite file of subscribers and the send log (relative to the file that sets it;
    when no file does: next to digest.toml, or in the current folder without one)."""
    url: str = ""
    """PostgreSQL instead of the SQLite file ("postgresql://user@host:5432/db"): for more than one
    process or machine. The password comes from DIGEST_DB_PASSWORD or libpq's password or service
    file, never from here."""

    @field_validator("url")
    @classmethod
    def _no_password(cls, url: str) -> str:
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a PostgreSQL URL: postgresql://user@host:5432/database")
        if url and urlsplit(url).password is not None:
            raise PydanticCustomError("password_in_url", "holds a password")  # not echoed: see validation.py
        return url


class SmtpSettings(Table):
    host: str = ""
    """The relay to send through; DIGEST_SMTP_HOST overrides it. Needed for real sends only."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Default by security: 587 (starttls), 465 (tls), 25 (none). DIGEST_SMTP_PORT overrides it."""
    security: Literal["starttls", "tls", "none"] = "starttls"
    """"starttls", "tls" (implicit TLS) or "none"; certificates are verified."""
    username: str = ""
    """Log in (AUTH) as this user; the password comes only from DIGEST_SMTP_PASSWORD."""
    concurrency: int = Field(default=4, ge=1, le=64)
    """SMTP connections used in parallel."""
    rate: float = Field(default=0, ge=0)
    """At most this many messages per second over all connections; 0 means no limit."""
    timeout: float = Field(default=60, gt=0)
    """Seconds to wait for the server at any step before treating the attempt as failed."""
    retries: int = Field(default=5, ge=0, le=20)
    """Further attempts after a temporary failure (4xx, dropped connection, timeout)."""
    retry_delay: float = Field(default=2.0, ge=0)
    """Seconds before the first retry; each further retry waits twice as long (with jitter)."""
    refusal_window: int = Field(default=20, ge=0)
    """Stop the send (exit 3, nobody marked bounced) when this many recipients in a row are refused
    with the same permanent reply: a server or policy problem, not dead addresses. 0: never stop."""

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


class DkimSettings(Table):
    selector: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """The DNS selector: the public key is published at <selector>._domainkey.<domain>."""
    key_file: str = Field(min_length=1)
    """PEM RSA private key, relative to the file that sets it."""
    ed25519_key_file: str = ""
    """PEM Ed25519 private key: a second signature, Ed25519-SHA256 (RFC 8463), beside the RSA one."""
    ed25519_selector: str = Field(default="", pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]*)?$")
    """The Ed25519 key's own selector (a DNS record holds one key), needed with ed25519_key_file."""
    domain: str = ""
    """Signing domain (d=); defaults to the from address's domain."""


class DeliveryTables(Table):
    """What a delivery needs of a digest.toml or an issue.toml; their other tables are other commands'."""

    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings = SmtpSettings()
    dkim: DkimSettings | None = None
    newsletter: NewsletterSettings | None = None
    """Absent when no file sets [newsletter]: `digest subscribers` works without one."""


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """[store], [smtp], [dkim] and the secret file, with their paths resolved."""

    store_path: Path
    store_url: str = ""
    """[store] url: PostgreSQL instead of the SQLite file at store_path ("": SQLite)."""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    dkim: DkimSettings | None = None
    dkim_key_file: Path | None = None
    dkim_ed25519_key_file: Path | None = None
    secret_file: Path | None = None
    unsubscribe_mailto: str = ""
    archive_dir: Path | None = None
    """[archive] path: where a send keeps the copy that went out (None: settings made by hand)."""
    return_path: str = ""
    """[feedback] return_path: the bounce mailbox a real send's envelope sender is tagged on ("": off)."""
    tracking: TrackingSettings = TRACKING_OFF
    """[tracking]: whether the links go through `digest serve` to be counted (off by default)."""
    throttle: ThrottleSettings = NO_THROTTLE
    """[throttle]: the rates, connections and warm-up every sending process shares (none by default)."""

    @property
    def store(self) -> Path | str:
        """What `digest.store.open_store` opens: [store] url when set, else the SQLite file."""
        return self.store_url or self.store_path

    @property
    def has_store(self) -> bool:
        """Whether there is a store to read yet (a PostgreSQL database always is)."""
        return bool(self.store_url) or self.store_path.is_file()


def resolve_delivery(tables: DeliveryTables, files: SettingsFiles, *, default_dir: Path) -> DeliverySettings:
    """The validated tables with each path relative to the file that declared it (else `default_dir`)."""
    newsletter = tables.newsletter
    key_file = ed25519_key_file = None
    if tables.dkim is not None:
        key_file = resolved_path(files, "dkim", "key_file", tables.dkim.key_file, default=default_dir)
        if tables.dkim.ed25519_key_file:
            ed25519_key_file = resolved_path(
                files, "dkim", "ed25519_key_file", tables.dkim.ed25519_key_file, default=default_dir
            )
    secret_file = None
    if newsletter is not None and newsletter.secret_file:
        secret_file = resolved_path(
            files, "newsletter", "secret_file", newsletter.secret_file, default=default_dir
        )
    return DeliverySettings(
        store_path=resolved_path(files, "store", "path", tables.store.path, default=default_dir),
        store_url=tables.store.url,
        smtp=tables.smtp,
        dkim=tables.dkim,
        dkim_key_file=key_file,
        dkim_ed25519_key_file=ed25519_key_file,
        secret_file=secret_file,
        unsubscribe_mailto=newsletter.mailbox if newsletter is not None else "",
        archive_dir=archive_dir(files, default_dir=default_dir),
        return_path=feedback_settings(files).return_path,
        tracking=tracking_settings(files),
        throttle=throttle_settings(files),
    )
