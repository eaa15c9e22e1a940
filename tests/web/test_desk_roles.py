"""Roles on the desk over real HTTP (issue 17): an editor sees no approve button and a forged
approve is refused with nothing sent; a publisher approves and the history names them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import html as lxml_html

from digest.runs.run import run_issue
from digest.settings import load_project_config
from digest.store import open_store
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import EDITOR, TIDEWATER_DATE, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer
from tests.web.desk import add_users, csrf_of, desk_server, logged_in

KEY = "2025-03-14"
FRIDAY_7AM = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)


def test_an_editor_cannot_approve_a_publisher_can(tmp_path: Path, monkeypatch):
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    readers = subscribe(config, 2)
    store = open_store(load_project_config(config).delivery.store_path)
    add_users(store)
    with SmtpTestServer() as smtp, desk_server(config.parent, store) as server:
        for name, value in smtp.environ(DIGEST_SECRET=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        run_issue(load_project_config(config), TIDEWATER_DATE, send=True, now=FRIDAY_7AM)
        base = server.url.rstrip("/")

        editor = logged_in(base, "ed")
        page = editor.get(f"/issues/{KEY}/")
        tree = lxml_html.document_fromstring(page.text)
        assert "Awaiting approval" in tree.xpath("string(//section[@id='approval'])")
        assert not tree.xpath("//form[contains(@action, '/approve') or contains(@action, '/new-proof')]")
        proof = tree.xpath("//input[@name='proof']/@value") or ["a-proof-hash"]
        for action in ("approve", "new-proof"):
            data = {"proof": proof[0], "confirm": "yes", "csrf": csrf_of(page)}
            refused = editor.post(f"/issues/{KEY}/{action}", data=data)
            assert refused.status_code == 403 and "needs the publisher role" in refused.text
        assert smtp.copies == {EDITOR: 1}

        publisher = logged_in(base, "pat")
        page = publisher.get(f"/issues/{KEY}/")
        proof = lxml_html.document_fromstring(page.text).xpath(
            "//form[contains(@action, '/approve')]//input[@name='proof']/@value"
        )
        data = {"proof": proof[0], "confirm": "yes", "by": "someone else", "csrf": csrf_of(page)}
        sent = publisher.post(f"/issues/{KEY}/approve", data=data, follow_redirects=True)
        assert "approved by pat; sent to 2 subscribers" in sent.text
        assert smtp.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}
        assert 'pat</span> <span class="what">approve (confirm=yes)' in sent.text
    store.close()
