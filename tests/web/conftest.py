"""Fixtures for the web tests: a project of issues in a temporary folder, the preview app served
for real on 127.0.0.1, and a page in Debian's Chromium (the session's `browser`, tests/conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.store import Store, open_store
from digest.web.preview import create_preview_app
from tests.conftest import SAMPLE_WEEKS
from tests.judges.browser import ARTIFACTS
from tests.web.desk import add_users, desk_server
from tests.web.servers import RunningServer

# Story images live on the publisher's servers; tests have no network, so every remote image is
# answered with this placeholder (same aspect as a typical lead photo) and nothing leaves the box.
PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 1200 675">'
    '<rect width="1200" height="675" fill="#9aa5b1"/>'
    '<path d="M0 675 L420 300 L700 560 L880 420 L1200 675 Z" fill="#6b7784"/>'
    '<circle cx="930" cy="190" r="80" fill="#d9dee3"/></svg>'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder holding copies of both sample weeks (tidewater with its digest.toml)."""
    root = tmp_path / "project"
    root.mkdir()
    meridian = SAMPLE_WEEKS["meridian"]
    shutil.copytree(meridian, root / meridian.name)
    tidewater = SAMPLE_WEEKS["tidewater"]
    shutil.copytree(tidewater.parent, root / tidewater.parent.name)
    return root


@pytest.fixture
def meridian(project: Path) -> Path:
    return project / SAMPLE_WEEKS["meridian"].name


@pytest.fixture
def preview(project: Path) -> Iterator[RunningServer]:
    with RunningServer(create_preview_app(project)) as server:
        yield server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})

    def placeholder(route) -> None:
        if route.request.resource_type == "image":
            route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER_SVG)
        else:
            route.abort()

    # Anything not on 127.0.0.1 (remote images, links) is answered here, never fetched. Local
    # requests are not intercepted at all: an intercepted event stream would be held back.
    context.route(lambda url: not url.startswith("http://127.0.0.1:"), placeholder)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def open_page(browser) -> Iterator:
    """`open_page(url, width)`: the url in a fresh context of that width, nothing off 127.0.0.1
    fetched; `bypass_csp=True` lets axe-core's injected script run on a page whose policy forbids it."""
    contexts = []

    def open_at(url: str, width: int, *, bypass_csp: bool = False):
        context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=bypass_csp)
        contexts.append(context)
        context.route(lambda u: not u.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page = context.new_page()
        page.goto(url)
        return page

    yield open_at
    for context in contexts:
        context.close()


@pytest.fixture
def desk(project: Path, tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """The project's preview served as a desk (users ed, pat and ada in a store of its own):
    (base URL, store)."""
    store = open_store(tmp_path / "desk.db")
    add_users(store)
    with desk_server(project, store) as server:
        yield server.url.rstrip("/"), store
    store.close()
