"""The complaint-rate lines through the CLI, as real processes against a real SMTP server: a
complaint read by `digest feedback fetch` puts the last issue over [feedback] complaint_hold_rate;
the editors are told once, the next scheduled send (`digest run --send`) is held (exit 11, nothing
sent, the editors told once with the exact command), and after `digest feedback acknowledge` the
next run sends the week to everyone but the reader who complained, once each."""

from __future__ import annotations

import shlex
from email.message import EmailMessage
from pathlib import Path

from digest.settings import load_project_config
from digest.store import open_store
from tests.deliver.processes import digest, finish
from tests.schedule_fixtures import EDITOR, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer

PAST_ISSUE = "2025-W10"
COMPLAINT = (
    "From: Feedback Loop <fbl@mail.example.com>\r\nTo: abuse@tidewater-press.example\r\n"
    "Subject: Abuse report\r\nMessage-ID: <arf-hold@mail.example.com>\r\nMIME-Version: 1.0\r\n"
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"\r\n\r\n'
    "--b2\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
    "--b2\r\nContent-Type: message/feedback-report\r\n\r\n"
    "Feedback-Type: abuse\r\nUser-Agent: ExampleFBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: {reader}\r\n"
    "--b2--\r\n"
)


def _notices(server: SmtpTestServer) -> list[EmailMessage]:
    return [r.message() for r in server.received if EDITOR in r.rcpt_tos]


def _commands(notice: EmailMessage) -> list[str]:
    body = notice.get_content().replace("\r\n", "\n")
    return [line.strip() for line in body.splitlines() if line.startswith("  digest ")]


def _past_issue_sent(config: Path, readers: list[str]) -> None:
    """The week before went out to every reader: its send log, as a send leaves it."""
    store = open_store(load_project_config(config).delivery.store_path)  # type: ignore[union-attr]
    with store.transaction() as db:
        db.execute(
            "INSERT INTO send_log (issue_id, subscriber_id, state, updated_at) "
            "SELECT ?, id, 'sent', '2025-03-07T07:00:00.000+00:00' FROM subscribers",
            (PAST_ISSUE,),
        )
    store.close()


def _sent_with_one_complaint_waiting(config: Path) -> list[str]:
    """20 readers, the past issue sent to them, and a complaint about the first in the mailbox."""
    readers = subscribe(config, 20)
    _past_issue_sent(config, readers)
    (config.parent / "back.mbox").write_text(
        "From fbl@mail.example.com Sat Mar  8 07:00:00 2025\n"
        + COMPLAINT.format(reader=readers[0]).replace("\r\n", "\n")
    )
    return readers


def test_complaints_over_the_hold_line_hold_the_scheduled_send_until_acknowledged(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater", extra='\n[feedback]\nmbox = "back.mbox"\n')
    readers = _sent_with_one_complaint_waiting(config)
    with SmtpTestServer() as server:
        fetched = finish(digest(server, "feedback", "fetch", "--config", config))
        assert fetched[0] == 0, fetched
        assert "1 complaint; 1 suppressed" in fetched[1]
        over = (
            f"{PAST_ISSUE}'s complaint rate is 5.00% (1 of 20 delivered), "
            "over [feedback] complaint_hold_rate 0.30%"
        )
        assert f"warning: {over}" in fetched[2]
        assert (
            f"{PAST_ISSUE}: complaint rate over the hold line; the editors were told (1 of 1)" in fetched[2]
        )
        [warned] = _notices(server)
        assert (
            warned["Subject"].strip() == f"[digest] {PAST_ISSUE}: complaint rate over the hold line (5.00%)"
        )
        acknowledge = shlex.join(
            ["digest", "feedback", "acknowledge", PAST_ISSUE, "--config", str(config.resolve())]
        )
        assert _commands(warned) == [acknowledge]

        held = finish(digest(server, "run", "--config", config, "--date", "2025-03-14", "--send"))
        again = finish(digest(server, "run", "--config", config, "--date", "2025-03-14", "--send"))
        assert held[0] == again[0] == 11, held
        assert f"held: {over}" in held[2]
        assert not any(server.copies[reader] for reader in readers), "a held run sent the issue"
        notices = _notices(server)
        assert [n["Subject"].strip() for n in notices[1:]] == [
            "[digest] 2025-W11 not sent: held for complaints (exit 11)"
        ]
        assert _commands(notices[1])[0] == acknowledge, "once per issue and kind, with the exact command"

        acknowledged = finish(digest(server, *shlex.split(acknowledge)[1:], "--by", "Ana"))
        assert acknowledged[0] == 0, acknowledged
        assert acknowledged[1] == f"{PAST_ISSUE} acknowledged by Ana\nthe next scheduled send goes ahead\n"

        sent = finish(digest(server, "run", "--config", config, "--date", "2025-03-14", "--send"))
        assert sent[0] == 0, sent
        assert "sent to 19 subscribers" in sent[1]
        assert server.copies[readers[0]] == 0 and all(server.copies[r] == 1 for r in readers[1:])
        assert len(_notices(server)) == 2, "no further notice"


def test_over_the_warning_line_only_the_editors_are_told_once_and_the_send_goes(tmp_path: Path):
    lines = "complaint_warn_rate = 0.01\ncomplaint_hold_rate = 0.1\n"
    config = tidewater_project(tmp_path / "tidewater", extra=f'\n[feedback]\nmbox = "back.mbox"\n{lines}')
    _sent_with_one_complaint_waiting(config)
    with SmtpTestServer() as server:
        fetched = finish(digest(server, "feedback", "fetch", "--config", config))
        sent = finish(digest(server, "run", "--config", config, "--date", "2025-03-14", "--send"))
        assert sent[0] == 0, sent
        assert "sent to 19 subscribers" in sent[1]
        notices = _notices(server)
    assert f"{PAST_ISSUE}: complaint rate over the warning line; the editors were told (1 of 1)" in fetched[2]
    assert [n["Subject"].strip() for n in notices] == [
        f"[digest] {PAST_ISSUE}: complaint rate over the warning line (5.00%)"
    ], "told once: the run that sent did not tell them again"
    assert _commands(notices[0]) == [], "nothing to acknowledge"
