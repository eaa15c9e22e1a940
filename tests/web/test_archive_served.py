"""The web archive inside `digest serve`'s app, over real HTTP, beside the unsubscribe pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from digest.deliver.tokens import SigningSecret
from digest.errors import ConfigError
from digest.store import open_store
from digest.web.archive import build_archive
from digest.web.site.app import create_app
from digest.web.site.archive import archive_routes, live_archive_routes
from tests.conftest import SAMPLE_WEEKS
from tests.web.sent import STORE_TOML, went_out
from tests.web.servers import RunningServer


@pytest.fixture
def site(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(SAMPLE_WEEKS["meridian"], project / "2025-01-08")
    (project / "digest.toml").write_text(STORE_TOML)
    went_out(project / "2025-01-08")
    out = tmp_path / "site"
    build_archive(project, out)
    return out


def test_serve_answers_with_the_archive_and_still_unsubscribes(site: Path, tmp_path: Path):
    store = open_store(tmp_path / "subscribers.db")
    secret = SigningSecret(b"a-test-secret-of-some-length", "test")
    app = create_app(store, secret, newsletter_name="Meridian Daily", extra=archive_routes(site))
    try:
        with RunningServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
            index = client.get("/")
            assert index.status_code == 200 and "Meridian Daily: past issues" in index.text
            href = lxml_html.document_fromstring(index.text).xpath("//ol[@class='issues']//a/@href")[0]
            page = client.get(href)
            assert page.status_code == 200 and "The Kremlin goes recruiting next door" in page.text
            # The email's "view in browser" link, <base_url>/issues/<issue id>/, is the same page.
            assert client.get("/issues/2025-W02/").text == page.text
            feed = client.get("/feed.xml")
            assert feed.status_code == 200 and "<feed" in feed.text
            assert client.get("/issues/2099-W01/").status_code == 404
            # The app's own routes are untouched by the archive mounted at the root.
            assert client.get("/healthz").text == "ok\n"
            assert client.get("/unsubscribe", params={"token": "forged"}).status_code == 400
    finally:
        store.close()


def test_a_folder_without_an_archive_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="run `digest archive --out DIR` first"):
        archive_routes(tmp_path)


def test_serve_answers_the_archive_live_from_the_store(tmp_path: Path, site: Path):
    """No `digest archive` needed: the pages are the static archive's, read at each request."""
    project = tmp_path / "project"
    store = open_store(project / "digest.db")
    secret = SigningSecret(b"a-test-secret-of-some-length", "test")
    app = create_app(store, secret, extra=live_archive_routes(store, project / "built"))
    try:
        with RunningServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/").text == (site / "index.html").read_text(encoding="utf-8")
            page = client.get("/issues/2025-W02/")
            assert page.text == (site / "issues" / "2025-W02" / "index.html").read_text(encoding="utf-8")
            assert client.get("/issues/2025-W02/index.html").text == page.text
            assert client.get("/feed.xml").content == (site / "feed.xml").read_bytes()
            assert client.get("/issues/2025-W03/").status_code == 404  # never sent
            assert client.get("/issues/..%2F..%2Fdigest.db/").status_code == 404
    finally:
        store.close()
