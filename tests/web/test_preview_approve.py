"""The preview's approve button, over real HTTP: an issue a scheduled run proofed shows it, and
pressing it sends the proofed issue to every subscriber once (the approval gate end to end)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from lxml import html as lxml_html

from digest.runs.run import run_issue
from digest.settings import load_project_config
from digest.web.preview import create_preview_app
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import EDITOR, TIDEWATER_DATE, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer
from tests.web.servers import RunningServer

KEY = "2025-03-14"
FRIDAY_7AM = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)


def _page(server: RunningServer, **kwargs) -> httpx.Response:
    return httpx.get(f"{server.url.rstrip('/')}/issues/{KEY}/", timeout=10, **kwargs)


def _approval_text(response: httpx.Response) -> str:
    return " ".join(
        lxml_html.document_fromstring(response.text).xpath("string(//section[@id='approval'])").split()
    )


def test_approve_in_the_preview_sends_the_proofed_issue(tmp_path: Path, monkeypatch):
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    readers = subscribe(config, 2)
    with SmtpTestServer() as smtp, RunningServer(create_preview_app(config.parent, watch=False)) as preview:
        for name, value in smtp.environ(DIGEST_SECRET=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        assert "Approval" not in _approval_text(_page(preview))  # nothing proofed yet: no button

        run_issue(load_project_config(config), TIDEWATER_DATE, send=True, now=FRIDAY_7AM)
        assert smtp.copies == {EDITOR: 1}
        shown = _approval_text(_page(preview))
        assert "Approval 2025-W11 Awaiting approval: proof sent to 1 of 1 editors." in shown
        assert "Approve and send to subscribers" in shown

        # The button names the proof it approves and asks first (a confirm step, issue 12):
        # pressing it sends nothing; confirming sends.
        proof = lxml_html.document_fromstring(_page(preview).text).xpath("//input[@name='proof']/@value")[0]
        asked = httpx.post(
            f"{preview.url.rstrip('/')}/issues/{KEY}/approve",
            data={"by": "Morwenna", "proof": proof},
            timeout=30,
            follow_redirects=True,
        )
        assert "Send the proofed issue to 2 subscribers?" in asked.text
        assert smtp.copies == {EDITOR: 1}
        pressed = httpx.post(
            f"{preview.url.rstrip('/')}/issues/{KEY}/approve",
            data={"by": "Morwenna", "proof": proof, "confirm": "yes"},
            timeout=30,
            follow_redirects=True,
        )
        assert pressed.status_code == 200
        notice = _approval_text(pressed)
        assert "2025-W11: approved by Morwenna; sent to 2 subscribers (0 failed, 0 uncertain" in notice
        assert smtp.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}

        # Sent: the button is gone, and pressing it again (a stale page) sends nothing.
        assert "Approve and send" not in _approval_text(_page(preview))
        again = httpx.post(
            f"{preview.url.rstrip('/')}/issues/{KEY}/approve", data={}, timeout=30, follow_redirects=True
        )
        assert "Not sent: 2025-03-14: not awaiting approval" in _approval_text(again)
        assert smtp.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}
