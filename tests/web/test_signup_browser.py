"""Issue 14: the hosted sign-up form and the confirm page in Debian's Chromium at a phone's 375 px
and a laptop's 1280 px: signed up and confirmed with the keyboard only, no sideways scroll, and
axe-core finds no WCAG 2 A/AA violation on the form, the "check your inbox", the confirm and the
"you're in" pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.model import SubscriberStatus
from digest.store import find_subscriber
from tests.judges.browser import overflow
from tests.judges.test_browser import axe_violations
from tests.web.signup_site import confirm_link, signup_site


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName.toLowerCase()")


def _judged(page, what: str, width: int) -> None:
    assert axe_violations(page) == [], f"{what} at {width}px"
    assert overflow(page) == 0, f"{what} scrolls sideways at {width}px"


@pytest.mark.parametrize("width", [375, 1280])
def test_sign_up_and_confirm_with_the_keyboard_only(browser, tmp_path: Path, width: int):
    with signup_site(tmp_path, min_fill_seconds=0) as site:
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            page = context.new_page()
            page.goto(str(site.client.base_url.join("/subscribe")))
            _judged(page, "the sign-up form", width)
            page.keyboard.press("Tab")
            assert _focused(page) == "email"
            page.keyboard.type("keys@example.com")
            page.keyboard.press("Tab")
            assert _focused(page) == "name"
            page.keyboard.type("Kay Board")
            page.keyboard.press("Tab")  # the honeypot is out of the tab order: the privacy link is next
            assert _focused(page) == "a"
            page.keyboard.press("Tab")
            assert _focused(page) == "button"
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.locator("h1").inner_text() == "Check your inbox", page.locator("main").inner_text()
            _judged(page, "the check-your-inbox page", width)

            page.goto(str(site.client.base_url.join(confirm_link(site.mail_to("keys@example.com")[0]))))
            _judged(page, "the confirm page", width)
            page.keyboard.press("Tab")
            assert _focused(page) == "button"
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.locator("h1").inner_text() == "You are in"
            _judged(page, "the you're-in page", width)
        finally:
            context.close()
        subscriber = find_subscriber(site.store, "keys@example.com")
        assert subscriber is not None and subscriber.status is SubscriberStatus.ACTIVE
        assert subscriber.name == "Kay Board"
