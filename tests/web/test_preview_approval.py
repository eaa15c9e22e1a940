"""The preview's approval panel over real HTTP, with real SMTP: it shows the proofed issue, says
what changed since the proof, approves only the proof the page showed, and only after a confirm
step naming the subscriber count (issue 12, item 3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from digest.runs.run import run_issue
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.run_history import IssueHistory
from digest.web.preview import create_preview_app
from tests.conftest import DELIVERY_TOML, TEST_SECRET
from tests.schedule_fixtures import (
    EDITOR,
    MERIDIAN_DATE,
    TIDEWATER_DATE,
    meridian_feed_project,
    subscribe,
    tidewater_project,
)
from tests.smtp_server import SmtpTestServer
from tests.web.servers import RunningServer

KEY = "2025-03-14"
LEAD = "seagrass-returns"
LEAD_TITLE = "Seagrass is back in Carrick Roads, five years after replanting"
FRIDAY_7AM = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)


@dataclass
class Setup:
    config: Path
    readers: list[str]
    smtp: SmtpTestServer
    preview: RunningServer

    def url(self, suffix: str = "") -> str:
        return f"{self.preview.url.rstrip('/')}/issues/{KEY}/{suffix}"

    def page(self) -> lxml_html.HtmlElement:
        response = httpx.get(self.url(), timeout=10)
        assert response.status_code == 200
        return lxml_html.document_fromstring(response.text)

    def post(self, suffix: str, data: dict[str, str]) -> httpx.Response:
        return httpx.post(self.url(suffix), data=data, timeout=30, follow_redirects=True)

    def proof_hash(self) -> str:
        store = open_store(load_project_config(self.config).delivery.store_path)
        try:
            record = IssueHistory(store).get("2025-W11")
            assert record is not None
            return record.proof_hash
        finally:
            store.close()


def _text(node: lxml_html.HtmlElement, xpath: str) -> str:
    return " ".join(node.xpath(f"string({xpath})").split())


def _form_data(page: lxml_html.HtmlElement, button: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the approval panel's form whose button says ``button``."""
    for form in page.xpath("//section[@id='approval']//form | //section[@id='confirm']//form"):
        if button in " ".join(form.xpath("string(.//button)").split()):
            fields = {field.get("name"): field.get("value") or "" for field in form.xpath(".//input")}
            return form.get("action").rsplit("/", 1)[-1], fields
    raise AssertionError(f"no form with a {button!r} button")


@pytest.fixture
def setup(tmp_path: Path, monkeypatch) -> Iterator[Setup]:
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    readers = subscribe(config, 3)
    with SmtpTestServer() as smtp, RunningServer(create_preview_app(config.parent, watch=False)) as preview:
        for name, value in smtp.environ(DIGEST_SECRET=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        run_issue(load_project_config(config), TIDEWATER_DATE, send=True, now=FRIDAY_7AM)
        assert smtp.copies == {EDITOR: 1}
        yield Setup(config, readers, smtp, preview)


def test_the_panel_shows_the_proofed_issue_and_no_change(setup: Setup):
    panel = _text(setup.page(), "//section[@id='approval']")
    assert "The proofed issue Subject Seagrass is back in Carrick Roads" in panel, panel
    assert f"Lead {LEAD_TITLE}" in panel
    assert "No change since the proof" in panel
    assert "Changed since the proof" not in panel


def test_excluding_the_lead_after_the_proof_is_named_and_approving_needs_a_confirm(setup: Setup):
    excluded = setup.post("choice", {"story": LEAD, "action": "exclude"})
    assert excluded.status_code == 200
    page = setup.page()
    panel = _text(page, "//section[@id='approval']")
    assert f"Changed since the proof: lead excluded (“{LEAD_TITLE}”); new lead:" in panel
    assert f"Lead {LEAD_TITLE}" in panel  # the proofed issue, still with its lead
    assert "Send a new proof" in panel
    assert "Approve the proofed version (without these changes)" in panel

    # The plain approve (what the old button posted) sends nothing: it asks first.
    action, fields = _form_data(page, "Approve the proofed version")
    assert action == "approve" and fields["proof"] == setup.proof_hash()
    asked = setup.post(action, {**fields, "by": "Morwenna"})
    assert asked.status_code == 200
    confirm = lxml_html.document_fromstring(asked.text)
    question = _text(confirm, "//section[@id='confirm']")
    assert "Send the proofed issue to 3 subscribers?" in question
    assert "This sends the proofed version, not what the preview shows now." in question
    assert "lead excluded" in question
    assert setup.smtp.copies == {EDITOR: 1}

    # The second step sends the proofed issue, lead and all.
    action, fields = _form_data(confirm, "Yes, send it to 3 subscribers")
    assert fields["confirm"] == "yes" and fields["by"] == "Morwenna"
    sent = setup.post(action, fields)
    assert "2025-W11: approved by Morwenna; sent to 3 subscribers" in _text(
        lxml_html.document_fromstring(sent.text), "//section[@id='approval']"
    )
    assert setup.smtp.copies == {EDITOR: 1, **dict.fromkeys(setup.readers, 1)}
    delivered = next(r.message() for r in setup.smtp.received if setup.readers[0] in r.rcpt_tos)
    assert LEAD_TITLE in delivered.get_body(("html",)).get_content()


def test_an_approval_without_the_proof_or_of_a_stale_one_is_refused(setup: Setup):
    for form in ({"confirm": "yes"}, {"confirm": "yes", "proof": "0" * 64}, {"proof": "0" * 64}):
        refused = setup.post("approve", form)
        notice = _text(lxml_html.document_fromstring(refused.text), "//section[@id='approval']")
        assert "Not sent:" in notice and ("another proof" in notice or "newer proof" in notice), notice
    assert setup.smtp.copies == {EDITOR: 1}


def test_send_a_new_proof_records_its_hash_and_the_old_page_cannot_approve(setup: Setup):
    old_hash = setup.proof_hash()
    setup.post("choice", {"story": LEAD, "action": "exclude"})
    action, fields = _form_data(setup.page(), "Send a new proof")
    assert action == "new-proof"
    reproofed = setup.post(action, fields)
    notice = _text(lxml_html.document_fromstring(reproofed.text), "//section[@id='approval']")
    assert "2025-W11: awaiting approval: proof sent to 1 of 1 editors" in notice
    assert setup.smtp.copies == {EDITOR: 2}
    new_proof = setup.smtp.received[-1].message()
    assert LEAD_TITLE not in new_proof.get_body(("html",)).get_content()
    assert setup.proof_hash() not in ("", old_hash)

    page = setup.page()
    assert "No change since the proof" in _text(page, "//section[@id='approval']")

    # A page loaded before the new proof (the old hash) cannot approve, even confirmed.
    stale = setup.post("approve", {"proof": old_hash, "confirm": "yes", "by": "Jory"})
    assert "newer proof" in stale.text or "another proof" in stale.text
    assert setup.smtp.copies == {EDITOR: 2}

    action, fields = _form_data(page, "Approve and send to subscribers")
    confirm = lxml_html.document_fromstring(setup.post(action, fields).text)
    setup.post(*_form_data(confirm, "Yes, send it"))
    assert setup.smtp.copies == {EDITOR: 2, **dict.fromkeys(setup.readers, 1)}
    delivered = next(r.message() for r in setup.smtp.received if setup.readers[0] in r.rcpt_tos)
    assert LEAD_TITLE not in delivered.get_body(("html",)).get_content()


def test_an_approval_from_another_site_is_refused(setup: Setup):
    fields = {"proof": setup.proof_hash(), "confirm": "yes"}
    refused = httpx.post(
        setup.url("approve"), data=fields, headers={"Origin": "https://evil.example"}, timeout=10
    )
    assert refused.status_code == 403
    assert setup.smtp.copies == {EDITOR: 1}


def test_a_week_from_feeds_awaiting_approval_has_its_panel_without_an_issue_folder(
    tmp_path: Path, monkeypatch
):
    """A proofed week gathered from [[sources]] has no issue folder until an editor's first choice;
    its page still shows the approval panel, and approving it sends the proof, asking first."""
    config = meridian_feed_project(tmp_path / "meridian", extra="require_approval = true\n" + DELIVERY_TOML)
    readers = subscribe(config, 2)
    week = MERIDIAN_DATE.isoformat()
    with SmtpTestServer() as smtp, RunningServer(create_preview_app(config.parent, watch=False)) as preview:
        for name, value in smtp.environ(DIGEST_SECRET=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        proofed = run_issue(load_project_config(config), MERIDIAN_DATE, send=True)
        assert "awaiting approval" in proofed.line, proofed.line
        assert not (config.parent / week).exists()
        base = f"{preview.url.rstrip('/')}/issues/{week}/"
        page = lxml_html.document_fromstring(httpx.get(base, timeout=10).text)
        assert "No change since the proof" in _text(page, "//section[@id='approval']")
        action, fields = _form_data(page, "Approve and send")
        asked = lxml_html.document_fromstring(httpx.post(base + action, data=fields, timeout=30).text)
        assert "Send the proofed issue to 2 subscribers?" in _text(asked, "//section[@id='confirm']")
        action, fields = _form_data(asked, "Yes, send it to 2 subscribers")
        httpx.post(base + action, data=fields, timeout=30, follow_redirects=True)
        assert {address: smtp.copies.get(address) for address in readers} == dict.fromkeys(readers, 1)
        assert not (config.parent / week).exists(), "approving records nothing in an issue folder"
