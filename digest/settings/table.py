"""What every settings table shares: the pydantic base, the field checks, the error a file gets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError

from digest.email_syntax import plain_address
from digest.errors import ConfigError
from digest.settings.files import SettingsFiles
from digest.urls import absolute_http_url
from digest.validation import describe


class Table(BaseModel):
    """A TOML table: unknown keys are errors (a typo is caught up front), values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


TableModel = TypeVar("TableModel", bound=BaseModel)


def project_table(files: SettingsFiles, name: str, model: type[TableModel]) -> TableModel:
    """[name] of the digest.toml among `files` (the only file that may set it), validated by `model`."""
    project = files.project
    table = project.tables.get(name, {}) if project is not None else {}
    try:
        return model.model_validate(table)
    except ValidationError as e:
        assert project is not None  # the defaults validate
        raise invalid_settings(e, project.path, model) from None


def invalid_settings(
    error: ValidationError, where: str | Path, model: type[BaseModel] | None = None
) -> ConfigError:
    """Every problem at once, one line each naming the table and the key (and, for a misspelt key,
    the closest one `model` knows)."""
    lines = describe(error, model=model)
    return ConfigError("\n  ".join(["invalid settings:", *lines]), where=where)


_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_NAME_AND_ADDRESS = re.compile(r"^(?P<name>.*)<(?P<address>[^<>]*)>\s*$", re.DOTALL)


def check_address(value: str) -> str:
    """Accept 'Name <addr@host>' or a bare address; syntax only, never the network.

    Returns the RFC 5322 form, with the display name quoted where needed: people write
    "Leser:innen <a@b>" in TOML, which a mail parser would read as a group named "Leser".
    """
    from email.utils import quote, unquote

    if "\n" in value or "\r" in value:
        raise ValueError("must be on one line")
    match = _NAME_AND_ADDRESS.match(value.strip())
    name, address = (match["name"], match["address"]) if match else ("", value)
    name = unquote(name.strip()).strip()
    address = address.strip()
    if not address:
        raise ValueError("is not an email address")
    if plain_address(address) is None:  # else only email-validator can tell
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as e:
            raise ValueError(str(e)) from None
    if not name:
        return address
    # Quote (but never encode) the name: headers are encoded later, when a message is built.
    return f'"{quote(name)}" <{address}>' if _SPECIALS.search(name) else f"{name} <{address}>"


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    return value


def check_http_url(value: str, problem: str = "must be an absolute http(s) URL") -> str:
    """The URL, stripped, if it is an absolute http(s) URL (digest.urls' one check); else `problem`."""
    url = absolute_http_url(value)
    if not url:
        raise ValueError(problem)
    return url


def unique_items(values: list[str]) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(map(repr, repeated))} more than once")
    return values
