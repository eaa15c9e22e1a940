"""`[webhooks]` (digest.toml only): which providers may tell `digest serve` what came back.

A provider's route answers 404 until it is configured here. Secrets never live in this file: the
Mailgun signing key and the Postmark password come from environment variables; SendGrid's key is
public (it verifies, it cannot sign), and so is a certificate trusted for SES.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from digest.settings.files import SettingsFiles
from digest.settings.paths import resolved_path
from digest.settings.table import Table, invalid_settings

POSTMARK_PASSWORD_ENV = "DIGEST_POSTMARK_PASSWORD"


class WebhooksSettings(Table):
    mailgun_signing_key_env: str = ""
    """The environment variable holding Mailgun's HTTP webhook signing key, e.g.
    "DIGEST_MAILGUN_SIGNING_KEY"; set: POST /webhooks/mailgun is on."""
    sendgrid_public_key: str = ""
    """SendGrid's Signed Event Webhook verification key (base64, as its settings page shows it)."""
    postmark_user: str = ""
    """The HTTP Basic user name put in Postmark's webhook URL; its password: DIGEST_POSTMARK_PASSWORD."""
    ses_topic_arn: str = ""
    """The SNS topic whose notifications POST /webhooks/ses accepts (no other topic's)."""
    ses_trusted_certificate: str = ""
    """A PEM certificate file trusted to sign SNS messages besides Amazon's (tests, private setups)."""


@dataclass(frozen=True, slots=True)
class WebhookSecrets:
    """[webhooks] resolved: what each enabled provider's route verifies with (None: route off)."""

    mailgun_signing_key: bytes | None = None
    sendgrid_public_key: str | None = None
    postmark_credentials: tuple[str, str] | None = None
    ses_topic_arn: str | None = None
    ses_trusted_certificate: Path | None = None
    missing: tuple[str, ...] = ()
    """Secrets configured but absent from the environment (`digest serve` stops on them; other
    commands that read these settings do not need them)."""

    def providers(self) -> list[str]:
        """The providers whose route is on."""
        keys = {
            "mailgun": self.mailgun_signing_key,
            "sendgrid": self.sendgrid_public_key,
            "postmark": self.postmark_credentials,
            "ses": self.ses_topic_arn,
        }
        return [provider for provider, key in keys.items() if key is not None]


NO_WEBHOOKS = WebhookSecrets()
"""Every provider's route off."""


def webhook_secrets(files: SettingsFiles, *, default_dir: Path, environ=os.environ) -> WebhookSecrets:
    """[webhooks] of the digest.toml among `files`, its secrets read from the environment."""
    project = files.project
    table = project.tables.get("webhooks", {}) if project is not None else {}
    where = project.path if project is not None else "digest.toml"
    try:
        settings = WebhooksSettings.model_validate(table)
    except ValidationError as e:
        assert project is not None  # the defaults validate
        raise invalid_settings(e, project.path, WebhooksSettings) from None
    missing: list[str] = []
    mailgun_key = None
    if settings.mailgun_signing_key_env:
        mailgun_key = environ.get(settings.mailgun_signing_key_env, "").encode() or None
        if mailgun_key is None:
            missing.append(
                f"{where}: [webhooks] mailgun_signing_key_env: {settings.mailgun_signing_key_env} is not set"
            )
    postmark = None
    if settings.postmark_user:
        password = environ.get(POSTMARK_PASSWORD_ENV, "")
        if not password:
            missing.append(f"{where}: [webhooks] postmark_user needs {POSTMARK_PASSWORD_ENV} set")
        postmark = (settings.postmark_user, password) if password else None
    certificate = None
    if settings.ses_trusted_certificate:
        certificate = resolved_path(
            files,
            "webhooks",
            "ses_trusted_certificate",
            settings.ses_trusted_certificate,
            default=default_dir,
        )
    return WebhookSecrets(
        mailgun_signing_key=mailgun_key,
        sendgrid_public_key=settings.sendgrid_public_key or None,
        postmark_credentials=postmark,
        ses_topic_arn=settings.ses_topic_arn or None,
        ses_trusted_certificate=certificate,
        missing=tuple(missing),
    )
