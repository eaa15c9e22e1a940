"""The web archive in `digest serve`, beside the unsubscribe pages: live from the store, or a folder.

Live (the default): each request lists the issues that went out from the store `digest serve`
already has open, and answers with the copy each send kept (digest/web/archive/published.py), so
an email's "view in browser" link (`<base_url>/issues/<issue id>/`) works the moment it is sent,
with no `digest archive` in between. `--archive DIR` serves a folder `digest archive` wrote instead.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from digest.errors import ConfigError
from digest.store import Store
from digest.web.archive import (
    FEED_FILE,
    INDEX_FILE,
    ArchiveEntry,
    Published,
    feed_xml,
    index_html,
    issue_html,
)


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


class LiveArchive:
    """The archive's pages answered from the store and the kept copies at each request."""

    def __init__(self, store: Store, archive_dir: Path) -> None:
        self.store = store
        self.archive_dir = archive_dir

    def entries(self, only: str | None = None) -> list[ArchiveEntry]:
        published = Published()
        published.add(self.store, self.archive_dir, only=only)
        return published.entries

    def index(self, _request: Request) -> Response:
        return HTMLResponse(index_html(self.entries()))

    def feed(self, _request: Request) -> Response:
        return Response(feed_xml(self.entries()), media_type="application/atom+xml")

    def issue(self, request: Request) -> Response:
        found = self.entries(only=request.path_params["issue_id"])  # a draft is not found
        if not found:
            return PlainTextResponse("No such issue in the archive.\n", status_code=404)
        return HTMLResponse(issue_html(found[0]))


def live_archive_routes(store: Store, archive_dir: Path) -> list[BaseRoute]:
    """`/`, `/index.html`, `/feed.xml`, `/issues/<issue id>/` (and its `index.html`), live."""
    live = LiveArchive(store, archive_dir)
    return [
        Route("/", live.index, methods=["GET"]),
        Route(f"/{INDEX_FILE}", live.index, methods=["GET"]),
        Route(f"/{FEED_FILE}", live.feed, methods=["GET"]),
        Route("/issues/{issue_id}/", live.issue, methods=["GET"]),
        Route(f"/issues/{{issue_id}}/{INDEX_FILE}", live.issue, methods=["GET"]),
    ]
