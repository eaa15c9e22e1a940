"""Headless Debian Chromium through Playwright for Python, with every image answered locally.

Nothing leaves the machine: requests for https images get an SVG placeholder of a photo's shape
(or a transparent "logo" with dark ink, which is what dark mode must keep legible); anything
else is aborted.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

PHOTO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800" viewBox="0 0 1200 800">
<rect width="1200" height="800" fill="#7a8fa6"/><circle cx="850" cy="250" r="120" fill="#e9d8a6"/>
<path d="M0 800 L350 380 L620 640 L820 470 L1200 800 Z" fill="#3d5a40"/></svg>"""
LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="320" height="80" viewBox="0 0 320 80">
<text x="10" y="56" font-family="sans-serif" font-size="44" font-weight="bold"
 fill="#1b1b1b">LOGO</text></svg>"""


def require_chromium() -> None:
    if shutil.which(CHROMIUM) is None:
        raise AssertionError(f"{CHROMIUM} is missing: run tests/install-tools (apt-get install chromium)")


def _answer_locally(route: Route) -> None:
    url = route.request.url
    if route.request.resource_type == "image" and url.startswith("https://"):
        body = LOGO_SVG if url.rsplit("/", 1)[-1].startswith("logo") else PHOTO_SVG
        route.fulfill(status=200, content_type="image/svg+xml", body=body)
    else:
        route.abort()


@contextmanager
def chromium() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_email(browser: Browser, html: str, width: int, *, dark: bool = False) -> Page:
    """A page at `width` CSS px holding the email, with every image loaded (from the placeholders)."""
    page = browser.new_page(
        viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light"
    )
    page.route("**/*", _answer_locally)
    page.set_content(html, wait_until="load")
    return page


def overflow(page: Page) -> int:
    """How many px the document is wider than the viewport (0: no sideways scroll)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
