"""`[desk]` (digest.toml): the preview as a team's desk. Who may use it when it listens on anything
but loopback: users kept in the store (`digest users`), or a trusted reverse proxy's header."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from digest.settings.files import read_command_files
from digest.settings.table import Table, project_table


class DeskSettings(Table):
    auth: Literal["users", "proxy"] = "users"
    """Who logs in off loopback: "users" (the store's, `digest users add`) or "proxy" (a header)."""
    proxy_header: str = "X-Forwarded-User"
    """With auth = "proxy": the header naming the user, e.g. "Remote-User"."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """With auth = "proxy": the proxies' addresses or CIDRs; the header from anywhere else is refused."""
    proxy_role: Literal["editor", "publisher", "admin"] = "editor"
    """With auth = "proxy": the role of a proxy user the store does not list (else the store's)."""
    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    """A login ends after this long without a request."""
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    """A login ends this long after it began, however busy."""
    allow_private_urls: bool = False
    """Let `digest add` and the preview's "Add a story by URL" fetch pages on loopback, private,
    link-local, multicast or reserved addresses (an intranet's pages); off, such a URL is refused,
    on every redirect hop too."""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an address or CIDR, e.g. 10.0.0.5 or 10.0.0.0/8"
                ) from None
        return [value.strip() for value in values]

    def trusts(self, address: str) -> bool:
        """Whether `address` (the TCP peer) is one of the trusted proxies."""
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in ipaddress.ip_network(net, strict=False) for net in self.trusted_proxies)


def load_desk_settings(config_file: Path | None = None, *, cwd: Path) -> DeskSettings:
    """[desk] of `config_file`, else of the nearest digest.toml from `cwd` upwards, else the defaults."""
    return project_table(read_command_files(config_file, cwd=cwd), "desk", DeskSettings)
