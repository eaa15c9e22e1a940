"""The preference page in Debian's Chromium (issue 14): axe-core finds no WCAG 2 A/AA violation at a
phone's 375 px and a laptop's 1280 px (in each state the page has), nothing scrolls sideways, and
every change is made with the keyboard alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.clock import utc_now
from digest.deliver.preference_tokens import preferences_token
from digest.deliver.tokens import SigningSecret
from digest.store import find_subscriber, open_store, suppression_of
from digest.store.preferences import leave, pause
from digest.store.subscribers import add_subscriber
from digest.web.site.app import create_app
from tests.conftest import TEST_SECRET
from tests.judges.browser import overflow, screenshot
from tests.judges.test_browser import axe_violations
from tests.web.servers import RunningServer

SECRET = TEST_SECRET.encode()
WIDTHS = (375, 1280)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, object]]:
    store = open_store(tmp_path / "digest.db")
    app = create_app(store, SigningSecret(SECRET, "test"), newsletter_name="Meridian Daily")
    with RunningServer(app) as server:
        yield server.url.rstrip("/"), store
    store.close()


def button(action: str) -> str:
    """The submit button of the form that does `action`."""
    return f"form:has(input[name=action][value={action}]) button"


def link(store, address: str, name: str = "") -> str:
    subscriber = find_subscriber(store, address) or add_subscriber(store, address, name)[0]
    return f"/preferences?token={preferences_token(SECRET, subscriber.id, subscriber.email)}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("state", ["active", "paused", "unsubscribed", "proof", "forged"])
def test_axe_finds_nothing_and_nothing_scrolls_sideways(site, open_page, width, state):
    base, store = site
    path = link(store, "ana@example.com", "Ana Lima")
    if state == "paused":
        pause(store, find_subscriber(store, "ana@example.com").id, 4)
    elif state == "unsubscribed":
        leave(store, find_subscriber(store, "ana@example.com").id)
    elif state == "proof":
        path = f"/preferences?token={preferences_token(SECRET, 0, 'editor@example.com')}"
    elif state == "forged":
        path = path[:-1] + ("A" if path[-1] != "A" else "B")
    page = open_page(base + path, width)
    screenshot(page, f"preferences-{state}-{width}")
    assert axe_violations(page) == []
    assert overflow(page) == 0


def test_every_change_is_made_with_the_keyboard_alone(site, open_page):
    base, store = site
    page = open_page(base + link(store, "ana@example.com", "Ana Lima"), 375)

    def tab_to(selector: str, most: int = 20) -> None:
        for _ in range(most):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Ana Maria Lima")
    page.keyboard.press("Enter")  # submits the name form
    page.wait_for_selector("text=Your name is changed.")
    assert find_subscriber(store, "ana@example.com").name == "Ana Maria Lima"

    tab_to("input[name=weeks]")
    page.keyboard.press("ArrowRight")  # 2 → 4 weeks, as radio buttons move
    tab_to(button("pause"))
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Your pause is set.")
    until = store.fetchvalue("SELECT paused_until FROM subscribers WHERE email = 'ana@example.com'")
    weeks = (dt.datetime.fromisoformat(until) - utc_now()) / dt.timedelta(weeks=1)
    assert 3.99 < weeks <= 4

    tab_to(button("unsubscribe"))
    page.keyboard.press("Space")
    page.wait_for_selector("text=You are unsubscribed.")
    assert suppression_of(store, "ana@example.com").reason == "unsubscribe"

    tab_to(button("resubscribe"))
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Welcome back")
    assert suppression_of(store, "ana@example.com") is None
    # What has focus is always visible: the focus ring is drawn.
    tab_to("#name")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
