"""Sending from the desk in Debian's Chromium (issue 17): a publisher presses Send, reads the
confirmation, says Yes, and watches the send log's figures change on the week's page without a
reload (server-sent events) until it says how it ended; aiosmtpd gets one copy per subscriber.
axe-core finds no WCAG 2 A/AA violation on the week's send panel and the confirmation at 375 and
1366 px."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.judges.browser import overflow, screenshot
from tests.judges.test_browser import axe_violations
from tests.smtp_server import Faults
from tests.web.desk import PASSWORD, tidewater_desk

KEY = "2025-03-14"
WIDTHS = (375, 1366)


def _log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/issues/{KEY}/")
    page.fill("#login-name", name)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/issues/{KEY}/")


def _clean(page) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    assert overflow(page) == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_a_publisher_sends_and_watches_it_go(browser, tmp_path: Path, monkeypatch, width: int):
    slow = Faults(stall_first_rcpt={"reader000@example.com": 1.5})  # long enough to see it going
    with tidewater_desk(tmp_path, monkeypatch, 3, slow) as (base, readers, _, smtp):
        # bypass_csp: only so axe-core can be injected into pages whose CSP allows no inline script.
        context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
        context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page = context.new_page()
        try:
            _log_in(page, base, "pat")
            button = page.locator("#sending button", has_text="Send to 3 subscribers now")
            assert button.count() == 1
            _clean(page)
            button.click()
            page.wait_for_selector("#confirm")
            assert "Send to 3 subscribers now?" in page.inner_text("#confirm h2")
            screenshot(page, f"desk-send-confirm-{width}")
            _clean(page)
            assert not smtp.received
            page.click("#confirm button.primary")
            page.wait_for_selector("[data-progress]")  # the send is going: the page follows it
            assert "left" in page.inner_text(".send-progress")
            page.wait_for_selector(".send-outcome", timeout=30_000)  # no reload: the events said so
            assert page.inner_text(".send-progress") == "3 sent · 0 left · 0 failed · 0 uncertain"
            assert "sent to 3 subscribers" in page.inner_text(".send-outcome")
            screenshot(page, f"desk-send-done-{width}")
            _clean(page)
            assert smtp.copies == dict.fromkeys(readers, 1)
        finally:
            context.close()
