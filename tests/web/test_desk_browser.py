"""The desk's pages in Debian's Chromium (issue 17): logging in with the keyboard alone, then axe-core
finds no WCAG 2 A/AA violation on the login page and the week's page at 375 and 1366 px, and a
story button still works through the page's script (it carries the CSRF token)."""

from __future__ import annotations

import json

import pytest

from tests.judges.browser import overflow, screenshot
from tests.judges.test_browser import axe_violations
from tests.web.desk import PASSWORD

MERIDIAN = "meridian-2025-01-08"
WIDTHS = (375, 1366)


def _page_at(browser, width: int):
    # bypass_csp: only so axe-core can be injected into pages whose CSP allows no inline script.
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
    return context, context.new_page()


def _tab_to(page, selector: str, most: int = 15) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _log_in_with_the_keyboard(page, base: str, name: str) -> None:
    page.goto(f"{base}/issues/{MERIDIAN}/")
    assert page.url.startswith(base + "/login?next=")
    if not page.evaluate("document.activeElement.id === 'login-name'"):
        _tab_to(page, "#login-name")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/issues/{MERIDIAN}/")


@pytest.mark.parametrize("width", WIDTHS)
def test_login_and_the_weeks_page_pass_axe_at_each_width(browser, desk, width: int):
    base, _ = desk
    context, page = _page_at(browser, width)
    try:
        page.goto(base + "/login")
        screenshot(page, f"desk-login-{width}")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        assert overflow(page) == 0
        _log_in_with_the_keyboard(page, base, "ed")
        # A story button through preview.js: the token goes with the form, the audit line appears.
        page.locator("form.actions button[value=exclude]").first.click()
        page.wait_for_selector(".last-choice")
        page.reload()
        page.wait_for_selector("#audit li")
        screenshot(page, f"desk-week-{width}")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        assert "Log out" in page.inner_text("header")
    finally:
        context.close()


def test_a_publisher_logs_in_and_out_with_the_keyboard(browser, desk):
    base, _ = desk
    context, page = _page_at(browser, 1366)
    try:
        _log_in_with_the_keyboard(page, base, "pat")
        assert "pat" in page.inner_text("header")
        page.focus(".logout button")
        page.keyboard.press("Enter")
        page.wait_for_url(base + "/login")
        page.goto(base + "/")
        assert page.url.startswith(base + "/login")
    finally:
        context.close()
