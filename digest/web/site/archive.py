"""The web archive (`digest archive --out DIR`) served by `digest serve`, beside the unsubscribe pages."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from digest.errors import ConfigError
from digest.web.archive import INDEX_FILE


def archive_routes(folder: Path) -> list[BaseRoute]:
    """The archive's files at the site's root: `/`, `/feed.xml`, `/issues/<issue id>/`.

    Mounted last, so the app's own routes (`/unsubscribe`, `/healthz`) answer first; the email's
    "view in browser" link (`<base_url>/issues/<issue id>/`) lands on the issue's page.
    """
    if not (folder / INDEX_FILE).is_file():
        raise ConfigError(
            f"no archive here (no {INDEX_FILE}): run `digest archive --out DIR` first", where=folder
        )
    return [Mount("/", app=StaticFiles(directory=folder, html=True), name="archive")]
