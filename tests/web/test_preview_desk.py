"""The desk's curation in Debian's Chromium (issue 17): "Add a story by URL" on a week's page, with
pages served over real HTTP on loopback; the bookmarklet (a GET that only fills the field in); the
week's inbox, newest first, whose "leave out" and "include" write `[issue] exclude`; the fetch in a
worker thread; axe-core finds nothing at 375 and 1366 px."""

from __future__ import annotations

import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.judges.test_browser import axe_violations
from tests.page_server import PageServer

MERIDIAN = "issues/meridian-2025-01-08/"
TIDEWATER = "issues/tidewater/2025-03-14/"
FERRY = "Harbour ferry deal agreed after late-night vote"


@pytest.fixture
def pages() -> Iterator[PageServer]:
    with PageServer() as running:
        yield running


@pytest.fixture
def desk(project: Path) -> Path:
    """Tidewater's week, whose digest.toml allows fetching the loopback page server."""
    toml = project / "tidewater" / "digest.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[desk]\nallow_private_urls = true\n")
    return project / "tidewater" / "2025-03-14"


@pytest.fixture
def open_desk(open_page):
    # bypass_csp: axe-core is injected as a script, which the preview's own policy forbids.
    return lambda url, width=1366: open_page(url, width, bypass_csp=True)


def excluded(week: Path) -> list[str]:
    return tomllib.loads((week / "issue.toml").read_text(encoding="utf-8"))["issue"].get("exclude", [])


def test_add_from_the_week_page_then_leave_out_and_include_in_the_inbox(desk, preview, pages, open_desk):
    page = open_desk(preview.url + TIDEWATER)
    page.fill("#add-url", pages.url("/news-article"))
    page.click(".add-story summary")
    page.fill("#add-note", "lead for Friday?")
    page.click(".add-story button[type=submit]")
    page.wait_for_selector(".desk-add .notice")
    assert f"Added “{FERRY}”" in page.inner_text(".desk-add .notice")
    story_file = desk / "stories" / "harbour-ferry-deal-agreed.md"
    assert story_file.is_file() and pages.hits["/news-article"] == 1
    assert "note: lead for Friday?" in story_file.read_text(encoding="utf-8")

    page.click("text=The week's inbox")
    first = page.locator(".inbox-story").first
    assert first.locator(".story-title").inner_text() == FERRY  # added now: the newest
    assert "added by URL" in first.locator(".origin").inner_text()
    assert any("Meridian" in o or "story file" in o for o in page.locator(".origin").all_inner_texts()[1:])

    first.locator("button[value=exclude]").click()
    page.wait_for_selector("#story-harbour-ferry-deal-agreed button[value=include]")
    assert excluded(desk) == ["harbour-ferry-deal-agreed"]
    assert "left out by the editor" in page.inner_text("#story-harbour-ferry-deal-agreed")
    page.click("#story-harbour-ferry-deal-agreed button[value=include]")
    page.wait_for_selector("#story-harbour-ferry-deal-agreed button[value=exclude]")
    assert excluded(desk) == []
    assert pages.hits["/news-article"] == 1  # nothing fetched again to show or build the week


def test_a_refused_address_is_said_in_words_and_the_field_kept(preview, pages, open_desk, project):
    page = open_desk(preview.url + MERIDIAN + "add")
    page.fill("#add-url", pages.url("/news-article"))
    page.click(".add-story button[type=submit]")
    error = page.inner_text(".desk-add .notice.failed")
    assert "Not added: cannot read" in error and "127.0.0.1 is a loopback address" in error
    assert "give the story a title" in error
    assert page.input_value("#add-url") == pages.url("/news-article")
    assert pages.hits["/news-article"] == 0


def test_the_bookmarklet_opens_the_add_page_with_the_url_filled_in(desk, preview, pages, open_desk):
    page = open_desk(preview.url + TIDEWATER + "add")
    script = page.get_attribute("a.bookmarklet", "href")
    assert script is not None and script.startswith("javascript:")
    page.goto(pages.url("/blog-post"))
    page.evaluate(script.removeprefix("javascript:"))  # what clicking it on that page runs
    page.wait_for_url(f"{preview.url}{TIDEWATER}add?url=*")
    assert page.input_value("#add-url") == pages.url("/blog-post")
    assert not (desk / "stories" / "tide-gauges-moved.md").exists()  # the GET only fills the field in


def test_the_fetch_runs_in_a_worker_thread(desk, preview, pages):
    answered: list[int] = []

    def add_slow() -> None:
        with httpx.Client(timeout=30) as client:
            form = {"url": pages.url("/slow.rss"), "title": "Slow page"}
            answered.append(client.post(preview.url + TIDEWATER + "add", data=form).status_code)

    adding = threading.Thread(target=add_slow)
    adding.start()
    time.sleep(0.5)
    started = time.monotonic()
    listing = httpx.get(preview.url, timeout=10)
    assert listing.status_code == 200 and time.monotonic() - started < 2 and adding.is_alive()
    adding.join(timeout=30)
    assert answered == [303]  # the slow page timed out, so the story has the title given
    assert (desk / "stories" / "slow-page.md").is_file()


@pytest.mark.parametrize("width", [375, 1366])
@pytest.mark.parametrize("path", [TIDEWATER, TIDEWATER + "add", TIDEWATER + "inbox"])
def test_axe_finds_nothing_and_nothing_scrolls_sideways(desk, preview, pages, open_desk, path, width):
    page = open_desk(preview.url + path, width)
    if path.endswith("add"):  # the page with its result shown too
        page.fill("#add-url", pages.url("/blog-post"))
        page.click(".add-story button[type=submit]")
        page.wait_for_selector(".desk-add .notice")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_off_loopback_the_add_carries_the_csrf_token_and_names_who_added(desk, project, pages, tmp_path):
    from digest.store import open_store
    from tests.web.desk import add_users, csrf_of, desk_server, logged_in

    store = open_store(tmp_path / "desk.db")
    add_users(store)
    try:
        with desk_server(project, store) as server:
            client = logged_in(server.url, "ed")
            form = client.get(f"/{TIDEWATER}add")
            assert form.status_code == 200
            token = csrf_of(form)
            posted = client.post(f"/{TIDEWATER}add", data={"url": pages.url("/blog-post"), "csrf": token})
            assert posted.status_code == 303, posted.text
            assert "Added “Why our tide gauges moved”" in client.get(posted.headers["location"]).text
            client.close()
    finally:
        store.close()
    assert "added_by: ed" in (desk / "stories" / "tide-gauges-moved.md").read_text(encoding="utf-8")
