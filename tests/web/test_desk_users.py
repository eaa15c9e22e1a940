"""The desk's users page (issue 17) over real HTTP and in Chromium: an admin lists the users with
their roles and last logins, adds one (a password made and shown once, or typed), changes a role,
resets a password and removes a user, each through the store functions `digest users` uses and
each in the audit log; an editor or a publisher is refused (403), a post without the CSRF token
too; axe-core finds no WCAG 2 A/AA violation at 375 and 1366 px."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from lxml import html as lxml_html

from digest.store.desk import audit_entries, find_user
from tests.judges.browser import overflow, screenshot
from tests.judges.test_browser import axe_violations
from tests.web.desk import PASSWORD, csrf_of, logged_in


def _rows(page: httpx.Response) -> dict[str, tuple[str, str]]:
    tree = lxml_html.document_fromstring(page.text)
    rows = tree.xpath("//section[@id='users']//tbody/tr")
    return {
        row.xpath("string(th)").strip(): (
            row.xpath("string(td[1])").strip(),
            row.xpath("string(td[2])").strip(),
        )
        for row in rows
    }


def _notice(page: httpx.Response) -> str:
    return lxml_html.document_fromstring(page.text).xpath("string(//p[contains(@class, 'notice')])")


def _text(page: httpx.Response) -> str:
    return lxml_html.document_fromstring(page.text).text_content()


def _can_log_in(base: str, name: str, password: str) -> bool:
    return httpx.post(base + "/login", data={"name": name, "password": password}).status_code == 303


def test_editors_and_publishers_are_refused(desk):
    base, store = desk
    for name in ("ed", "pat"):
        client = logged_in(base, name)
        assert client.get("/users").status_code == 403
        csrf = csrf_of(client.get("/"))
        refused = client.post("/users/add", data={"user": "x", "role": "admin", "csrf": csrf})
        assert refused.status_code == 403 and "needs the admin role" in refused.text
        assert find_user(store, "x") is None
        assert "/users" not in client.get("/").text, "no link to a page they may not see"
    admin = logged_in(base, "ada")
    assert admin.post("/users/add", data={"user": "x", "role": "editor"}).status_code == 403, "no CSRF"
    assert find_user(store, "x") is None


def test_an_admin_manages_the_users(desk):
    base, store = desk
    admin = logged_in(base, "ada")
    admin.follow_redirects = True  # each change answers with the list again, its notice on top
    page = admin.get("/users")
    rows = _rows(page)
    assert rows["ada"][0] == "admin" and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows["ada"][1])
    assert rows["ed"] == ("editor", "never") and rows["pat"][0] == "publisher"
    csrf = csrf_of(page)

    added = admin.post("/users/add", data={"user": "newbie", "role": "editor", "password": "", "csrf": csrf})
    made = re.search(r"their password \(shown once\): (\S+)", _notice(added)).group(1)
    assert _can_log_in(base, "newbie", made)
    assert made not in admin.get("/users").text, "shown once"
    assert _rows(admin.get("/users"))["newbie"][0] == "editor"

    assert "newbie is now publisher" in _notice(
        admin.post("/users/role", data={"user": "newbie", "role": "publisher", "csrf": csrf})
    )
    assert find_user(store, "newbie").role == "publisher"
    bad = admin.post("/users/role", data={"user": "newbie", "role": "owner", "csrf": csrf})
    assert bad.status_code == 400 and "role 'owner': use one of editor, publisher, admin" in _text(bad)
    short = admin.post("/users/password", data={"user": "newbie", "password": "short", "csrf": csrf})
    assert short.status_code == 400 and "at least 10 characters" in short.text

    typed = "a new long password"
    admin.post("/users/password", data={"user": "newbie", "password": typed, "csrf": csrf})
    assert not _can_log_in(base, "newbie", made) and _can_log_in(base, "newbie", typed)

    own = admin.post("/users/remove", data={"user": "ada", "csrf": csrf})
    assert own.status_code == 400 and find_user(store, "ada") is not None
    assert "Removed newbie" in _notice(admin.post("/users/remove", data={"user": "newbie", "csrf": csrf}))
    assert "newbie" not in _rows(admin.get("/users")) and not _can_log_in(base, "newbie", typed)

    audit = [(e.who, e.action, e.detail) for e in audit_entries(store, limit=20)]
    assert ("ada", "add", "user=newbie; role=editor") in audit
    assert ("ada", "role", "user=newbie; role=publisher") in audit
    assert ("ada", "password", "user=newbie") in audit and ("ada", "remove", "user=newbie") in audit
    assert not any(typed in detail or made in detail for _, _, detail in audit), "no password audited"


@pytest.mark.parametrize("width", (375, 1366))
def test_the_users_page_is_accessible(browser, desk, width: int):
    base, _ = desk
    # bypass_csp: only so axe-core can be injected into pages whose CSP allows no inline script.
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto(base + "/login?next=/users")
        page.fill("#login-name", "ada")
        page.fill("#login-password", PASSWORD)
        page.press("#login-password", "Enter")
        page.wait_for_url(base + "/users")
        page.fill("#new-user", "casey")
        page.click("button:has-text('Add user')")
        page.wait_for_selector("text=their password (shown once)")
        screenshot(page, f"desk-users-{width}")
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1)
        assert overflow(page) == 0
    finally:
        context.close()
