"""`[desk]` (digest.toml, or an issue.toml over it): how the editors' desk treats what they bring in."""

from __future__ import annotations

from digest.settings.table import Table


class DeskSettings(Table):
    allow_private_urls: bool = False
    """Let `digest add` and the preview's "Add a story by URL" fetch pages on loopback, private,
    link-local, multicast or reserved addresses (an intranet's pages); off, such a URL is refused,
    on every redirect hop too."""
