"""Approval sends what was approved (issue 12, items 3 and 4), against a real SMTP server:
the proof says what happens next, its content hash is recorded, and `digest approve` shows what
it sends and refuses an issue that changed since the proof unless --proofed says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from digest.cli import main
from digest.model import Issue
from digest.runs.archive import issue_from_json, issue_hash, issue_to_json, load_archived_issue
from digest.runs.proof import describe_changes
from digest.runs.run import run_issue
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.run_history import IssueHistory
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import EDITOR, TIDEWATER_DATE, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer

FRIDAY_7AM = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)
DESK = "Desk <desk@tidewater-press.example>"
LEAD = "seagrass-returns"
LEAD_TITLE = "Seagrass is back in Carrick Roads, five years after replanting"


@pytest.fixture
def server(monkeypatch):
    with SmtpTestServer() as running:
        for name, value in running.environ(DIGEST_SECRET=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        yield running


def _proof(config: Path, server: SmtpTestServer) -> EmailMessage:
    run_issue(load_project_config(config), TIDEWATER_DATE, send=True, now=FRIDAY_7AM)
    return server.received[-1].message()


def _parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML's text, spaces folded (commands stand in `backticks` in the
    plain text and in <code> in the HTML: both read here without them)."""
    text = message.get_body(("plain",)).get_content().replace("`", "")
    page = lxml_html.document_fromstring(message.get_body(("html",)).get_content())
    return " ".join(text.split()), " ".join(page.text_content().split())


def _exclude_lead(config: Path) -> None:
    toml = config.parent / "2025-03-14" / "issue.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f'exclude = ["{LEAD}"]\n', encoding="utf-8")


def _approve(config: Path, *args: str):
    return CliRunner().invoke(
        main, ["approve", "2025-W11", "--config", str(config), "--by", "Morwenna", *args]
    )


def test_the_proof_says_who_approves_how_and_when_it_goes_out(tmp_path: Path, server):
    config = tidewater_project(
        tmp_path / "tidewater", require_approval=True, approval_deadline="4h", editors=(EDITOR, DESK)
    )
    config.write_text(
        config.read_text().replace(
            "require_approval = true\n", 'require_approval = true\npreview_url = "http://127.0.0.1:8000/"\n'
        )
    )
    proof = _proof(config, server)
    assert proof["Subject"] == "[PROOF] Seagrass is back in Carrick Roads"
    for part in _parts(proof):
        assert "PROOF of 2025-W11: what happens next" in part
        assert f"Who approves: any editor ({EDITOR}, {DESK})." in part
        assert f"How: run digest approve 2025-W11 --config {config} (it sends" in part
        assert "http://127.0.0.1:8000/issues/2025-03-14/#approval" in part
        # 07:00 UTC + 4 h, in the schedule's zone (London is on GMT in March).
        assert "it goes out by itself on Friday 14 March 2025 at 11:00 GMT (Europe/London)" in part
        assert LEAD_TITLE in part  # and the issue itself, below the note
    page = lxml_html.document_fromstring(proof.get_body(("html",)).get_content())
    assert f"digest approve 2025-W11 --config {config}" in page.xpath("//code/text()")
    assert page.xpath("//a[@href='http://127.0.0.1:8000/issues/2025-03-14/#approval']")


def test_without_a_deadline_or_preview_url_the_proof_says_so(tmp_path: Path, server):
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    for part in _parts(_proof(config, server)):
        assert f"Who approves: the editor ({EDITOR})." in part
        assert "When: it will not go out until an editor approves it" in part
        assert f"start it with digest preview {config.parent}, then open this week's issue" in part


def test_the_history_keeps_the_proofs_hash(tmp_path: Path, server):
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    _proof(config, server)
    project = load_project_config(config)
    archived = load_archived_issue(project.archive_dir, "2025-W11")
    store = open_store(project.delivery.store_path)
    try:
        record = IssueHistory(store).get("2025-W11")
    finally:
        store.close()
    assert record is not None and record.proof_hash == issue_hash(archived)
    assert len(record.proof_hash) == 64
    assert issue_hash(issue_from_json(issue_to_json(archived))) == record.proof_hash


def test_approve_refuses_a_changed_issue_unless_proofed_is_given(tmp_path: Path, server):
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    readers = subscribe(config, 3)
    _proof(config, server)
    _exclude_lead(config)

    refused = _approve(config)
    assert refused.exit_code == 2
    assert "2025-W11: the proof sent 2025-03-14 07:00 UTC" in refused.stdout
    assert "subject: Seagrass is back in Carrick Roads" in refused.stdout
    assert f"lead: {LEAD_TITLE}" in refused.stdout
    assert "goes to 3 subscribers" in refused.stdout
    assert f"changed since the proof: lead excluded (“{LEAD_TITLE}”)" in refused.stdout
    assert "not sent: the issue changed since the proof" in refused.stderr
    assert "`digest proof 2025-W11`" in refused.stderr and "--proofed" in refused.stderr
    assert server.copies == {EDITOR: 1}

    approved = _approve(config, "--proofed")
    assert approved.exit_code == 0, approved.output
    assert approved.stdout.splitlines()[-1].startswith(
        "2025-W11: approved by Morwenna; sent to 3 subscribers"
    )
    assert server.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}
    delivered = next(r.message() for r in server.received if readers[0] in r.rcpt_tos)
    assert LEAD_TITLE in delivered.get_body(("html",)).get_content()  # the proofed version


def test_a_new_proof_from_the_command_line_then_approve_sends_the_new_version(tmp_path: Path, server):
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    readers = subscribe(config, 2)
    _proof(config, server)
    _exclude_lead(config)

    reproofed = CliRunner().invoke(main, ["proof", "2025-W11", "--config", str(config)])
    assert reproofed.exit_code == 0, reproofed.output
    assert reproofed.stdout.startswith("2025-W11: awaiting approval: proof sent to 1 of 1 editors")
    assert server.copies == {EDITOR: 2}
    assert LEAD_TITLE not in server.received[-1].message().get_body(("html",)).get_content()

    approved = _approve(config)
    assert approved.exit_code == 0, approved.output
    assert "the issue folder still makes the proofed issue" in approved.stdout
    assert server.copies == {EDITOR: 2, **dict.fromkeys(readers, 1)}
    delivered = next(r.message() for r in server.received if readers[0] in r.rcpt_tos)
    assert LEAD_TITLE not in delivered.get_body(("html",)).get_content()


def _issue(config: Path, server: SmtpTestServer) -> Issue:
    _proof(config, server)
    return load_archived_issue(load_project_config(config).archive_dir, "2025-W11")


def test_changes_are_said_in_plain_words(tmp_path: Path, server):
    proofed = _issue(tidewater_project(tmp_path / "tidewater", require_approval=True), server)
    assert describe_changes(proofed, proofed) == []
    _lead, first, *rest = proofed.stories
    current = replace(proofed, subject="Harbour vote", lead=first, more_from=tuple(rest[::-1]))
    assert describe_changes(proofed, current) == [
        f"lead excluded (“{LEAD_TITLE}”)",
        f"new lead: “{first.title}”",
        "subject changed (was “Seagrass is back in Carrick Roads”, now “Harbour vote”)",
        "More from reordered",
    ]
    promoted = replace(proofed, lead=first, more_from=tuple(rest))  # the lead excluded, no more
    assert describe_changes(proofed, promoted) == [
        f"lead excluded (“{LEAD_TITLE}”)",
        f"new lead: “{first.title}”",
    ]
    retitled = replace(proofed, more_from=(replace(first, title="Vote passes"), *rest))
    assert describe_changes(proofed, retitled) == ["1 story edited (“Vote passes”)"]
    fewer = replace(proofed, more_from=tuple(rest))
    assert describe_changes(proofed, fewer) == [f"1 story removed (“{first.title}”)"]
    assert describe_changes(fewer, proofed) == [f"1 story added (“{first.title}”)"]


def test_a_new_proof_needs_require_approval(tmp_path: Path):
    # Without it a "proof" run would send to every subscriber: refused before anything is built.
    config = tidewater_project(tmp_path / "tidewater")
    result = CliRunner().invoke(main, ["proof", "2025-W11", "--config", str(config)])
    assert result.exit_code == 2
    assert "[schedule] require_approval is off: there is no proof to send" in result.stderr
