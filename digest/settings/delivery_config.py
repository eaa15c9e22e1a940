"""The delivery settings of a command without an issue folder (`digest subscribers`, `serve`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from digest.model import Newsletter
from digest.settings.delivery import DeliverySettings, DeliveryTables, resolve_delivery
from digest.settings.feedback import FeedbackMailbox, feedback_mailbox
from digest.settings.file_schemas import check_table_names
from digest.settings.files import read_command_files
from digest.settings.layering import layered
from digest.settings.signup import SIGNUP_OFF, SignupConfig, signup_config
from digest.settings.table import invalid_settings
from digest.settings.webhooks import NO_WEBHOOKS, WebhookSecrets, webhook_secrets


@dataclass(frozen=True, slots=True)
class ProjectDelivery:
    """What `digest subscribers` and `digest serve` need, read without an issue folder."""

    delivery: DeliverySettings
    newsletter: Newsletter | None
    feedback: FeedbackMailbox | None = None
    """[feedback]'s mailbox (`digest feedback fetch`), when one is configured."""
    webhooks: WebhookSecrets = NO_WEBHOOKS
    """[webhooks]: the provider routes `digest serve` answers, and what each verifies with."""
    signup: SignupConfig = SIGNUP_OFF
    """[signup]: the sign-up form `digest serve` answers, when enabled."""


def load_delivery_settings(config_file: Path | None = None, *, cwd: Path | None = None) -> ProjectDelivery:
    """From `config_file` (a digest.toml, or an issue.toml with any digest.toml above it), else
    the nearest digest.toml from `cwd` upwards, else the defaults."""
    cwd = (cwd or Path.cwd()).resolve()
    files = read_command_files(config_file, cwd=cwd)
    check_table_names(files)
    raw = layered(files, ("store", "smtp", "dkim", "newsletter"))
    if not raw.get("newsletter"):
        raw.pop("newsletter", None)  # an empty [newsletter] is none: nothing in it is required here
    try:
        tables = DeliveryTables.model_validate(raw)
    except ValidationError as e:
        raise invalid_settings(e, files.where(cwd), DeliveryTables) from None
    delivery = resolve_delivery(tables, files, default_dir=files.default_folder(cwd))
    newsletter = tables.newsletter.to_model() if tables.newsletter is not None else None
    mailbox = feedback_mailbox(files, default_dir=files.default_folder(cwd))
    webhooks = webhook_secrets(files, default_dir=files.default_folder(cwd))
    signup = signup_config(files, default_dir=files.default_folder(cwd))
    return ProjectDelivery(
        delivery=delivery, newsletter=newsletter, feedback=mailbox, webhooks=webhooks, signup=signup
    )
