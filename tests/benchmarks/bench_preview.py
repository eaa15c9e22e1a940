"""The preview and the archive: page times, cache hits, and how soon an edit reloads the page.

Reference: `render_folder` of the same week in the same process (what one `digest build` renders),
so "1.0x reference" means a request costs as much as rendering the issue from scratch.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from digest.pipeline import render_folder
from digest.settings.project import IssueFolder
from digest.web.archive import build_archive
from digest.web.preview import create_preview_app
from digest.web.preview.snapshot import SnapshotCache
from tests.conftest import SAMPLE_WEEKS
from tests.judges.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.servers import RunningServer
from tests.web.test_preview_editing_browser import EDIT_AND_TIME

ROUNDS = 20
RELOADS = 10
# A fresh connection per request, as a browser's page load mostly is. (With keep-alive, httpx
# waits out the peer's delayed ACK on small responses: +40 ms that no browser would see.)
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def _timed(action, rounds: int = ROUNDS) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def _touch(path: Path, n: int) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + " " * (n % 2) + "\n")


def _event_latency(server: RunningServer, story: Path) -> list[float]:
    """Seconds from a story file's save to the reload event reaching a listening client."""
    samples = []
    for n in range(RELOADS):
        token = httpx.get(server.url, timeout=10).text.split('data-reload-token="')[1].split('"')[0]
        got = threading.Event()

        def listen(since: str = token, got: threading.Event = got) -> None:
            with httpx.stream("GET", f"{server.url}events?since={since}", timeout=10) as response:
                for line in response.iter_lines():
                    if line.startswith("event: reload"):
                        got.set()
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(0.2)  # the stream is open
        started = time.perf_counter()
        _touch(story, n)
        got.wait(5)
        samples.append(time.perf_counter() - started)
        listener.join(5)
    return samples


def _browser_reload_latency(server: RunningServer, story: Path, page_url: str) -> list[float]:
    """Seconds from a save until Chromium has reloaded the open issue page and laid it out."""
    from playwright.sync_api import sync_playwright

    samples = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page.goto(page_url)
        page.wait_for_selector("body[data-ready]")
        for n in range(RELOADS):
            page.evaluate("window.__old = true")
            started = time.perf_counter()
            _touch(story, n)
            page.wait_for_function("() => !window.__old && document.body.dataset.ready", timeout=5000)
            samples.append(time.perf_counter() - started)
        page.goto("about:blank")
        browser.close()
    return samples


def _browser_edit_latency(page_url: str) -> list[float]:
    """Milliseconds from saving an edited headline in the page until the desktop, phone and text
    frames all show it (the issue's target: 300 ms for the sample weeks)."""
    from playwright.sync_api import sync_playwright

    samples = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page.goto(page_url)
        for n in range(RELOADS):
            page.wait_for_selector("body[data-ready]")
            story = page.locator("li.story:not(.left-out)").nth(n % 3).get_attribute("data-story")
            samples.append(page.evaluate(EDIT_AND_TIME, [story, f"Benchmarked headline {n}"]))
        browser.close()
    return samples


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(SAMPLE_WEEKS["meridian"], project / "meridian")
        shutil.copytree(SAMPLE_WEEKS["tidewater"].parent, project / "tidewater")
        meridian = project / "meridian"
        story = meridian / "stories" / "ces-2025-ai.md"

        render_folder(meridian)
        reference = _median_ms(_timed(lambda: render_folder(meridian)))
        print(f"reference (render_folder, meridian week): {reference:.2f} ms")

        cache = SnapshotCache()
        folder = IssueFolder("meridian", meridian)
        cache.get(folder)
        hit = _median_ms(_timed(lambda: cache.get(folder), ROUNDS * 5))
        print(f"snapshot, cache hit (fingerprint check): {hit:.3f} ms  {hit / reference:.3f}x reference")

        with (
            RunningServer(create_preview_app(project)) as server,
            httpx.Client(timeout=10, limits=NO_KEEPALIVE) as client,
        ):
            page_url = f"{server.url}issues/meridian/"
            client.get(page_url)
            warm = _median_ms(_timed(lambda: client.get(page_url)))
            print(f"issue page over HTTP, unchanged files: {warm:.2f} ms  {warm / reference:.2f}x reference")

            def edited_page() -> None:
                _touch(story, 0)
                client.get(page_url)

            cold = _median_ms(_timed(edited_page))
            print(f"issue page over HTTP, after an edit: {cold:.2f} ms  {cold / reference:.2f}x reference")
            listing = _median_ms(_timed(lambda: client.get(server.url)))
            print(f"issue list (2 issues) over HTTP: {listing:.2f} ms  {listing / reference:.2f}x reference")

            events = _event_latency(server, story)
            print(
                f"save -> reload event at the client: median {_median_ms(events):.0f} ms, "
                f"max {max(events) * 1e3:.0f} ms ({RELOADS} saves)"
            )
            if Path(CHROMIUM).is_file():
                reloads = _browser_reload_latency(server, story, page_url)
                print(
                    f"save -> page reloaded in Chromium: median {_median_ms(reloads):.0f} ms, "
                    f"max {max(reloads) * 1e3:.0f} ms ({RELOADS} saves; target < 1000 ms)"
                )
                edits = _browser_edit_latency(page_url)
                print(
                    "inline edit -> desktop, phone and text frames show it: "
                    f"median {statistics.median(edits):.0f} ms, "
                    f"max {max(edits):.0f} ms ({RELOADS} edits; target < 300 ms)"
                )

        out = Path(tmp) / "site"
        build_archive(project, out)
        archive = _median_ms(_timed(lambda: build_archive(project, out), 5))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(
            f"digest archive (2 issues): {archive:.1f} ms  {archive / reference:.1f}x reference, "
            f"{size / 1024:.0f} KB written"
        )


if __name__ == "__main__":
    main()
