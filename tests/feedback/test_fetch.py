"""`digest feedback fetch`, end to end with real parts: an issue sent over SMTP (aiosmtpd) with a
VERP return path; delivery-status notifications for three copies and an ARF complaint for one put
in a real IMAP mailbox (dovecot); fetch run twice (the second processes nothing); the next issue
reaches everyone else exactly once and those four not at all."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from tests.conftest import DELIVERY_TOML, TEST_SECRET
from tests.imap_server import ImapTestServer
from tests.smtp_server import Received, SmtpTestServer

READERS = [f"reader{n}@example.com" for n in range(8)]
BOUNCED = READERS[:3]
COMPLAINED = READERS[3]


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def dsn(copy: Received, status: str, diagnostic: str) -> bytes:
    """A relay's RFC 3464 report on `copy`, addressed to its return path."""
    recipient = copy.rcpt_tos[0]
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        f"To: {copy.mail_from}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-{recipient}@mx.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "--b1--\r\n"
    ).encode()


def arf(copy: Received) -> bytes:
    """A mailbox provider's RFC 5965 abuse report on `copy`, the original attached."""
    head = (
        "From: Feedback Loop <fbl@mail.example.com>\r\n"
        f"To: {copy.mail_from}\r\nSubject: Abuse report\r\nMessage-ID: <arf-1@mail.example.com>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary="b2"\r\n'
        "\r\n--b2\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
        "--b2\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: ExampleFBL/1.0\r\nVersion: 1\r\n"
        "--b2\r\nContent-Type: message/rfc822\r\n\r\n"
    ).encode()
    return head + copy.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n--b2--\r\n"


@pytest.fixture
def project(send_project: Path, tmp_path: Path) -> Path:
    """The Meridian week, a second week after it, and a digest.toml with a return path and an IMAP mailbox."""
    second = tmp_path / "meridian-2025-01-15"
    shutil.copytree(send_project, second)
    toml = second / "issue.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("2025-01-08", "2025-01-15"), encoding="utf-8")
    os.chdir(tmp_path)
    for address in READERS:
        assert invoke("subscribers", "add", address).exit_code == 0
    return tmp_path


def test_bounces_and_a_complaint_suppress_their_readers_for_the_next_issue(project: Path, send_project: Path):
    with ImapTestServer() as imap, SmtpTestServer() as smtp:
        mailbox = (
            f'\n[feedback]\nreturn_path = "bounces@news.example.org"\nimap_host = "127.0.0.1"\n'
            f'imap_port = {imap.port}\nimap_user = "{imap.user}"\nimap_security = "none"\n'
        )
        (project / "digest.toml").write_text(DELIVERY_TOML + mailbox, encoding="utf-8")
        env = smtp.environ(DIGEST_SECRET=TEST_SECRET, DIGEST_IMAP_PASSWORD=imap.password)
        first = invoke("send", send_project, env=env)
        assert first.exit_code == 0, first.output
        copies = {copy.rcpt_tos[0]: copy for copy in smtp.received}
        assert set(copies) == set(READERS)
        imap.append(
            dsn(copies[BOUNCED[0]], "5.1.1", "550 5.1.1 <reader0@example.com>: user unknown"),
            dsn(copies[BOUNCED[1]], "5.1.2", "550 5.1.2 domain not found"),
            dsn(copies[BOUNCED[2]], "5.2.1", "550 5.2.1 account disabled"),
            arf(copies[COMPLAINED]),
        )

        dry = invoke("feedback", "fetch", "--dry-run", env=env)
        assert dry.exit_code == 0, dry.output
        assert "dry run, nothing changed: read 4 (0 processed before): 1 complaint, 3 hard" in dry.output
        fetched = invoke("feedback", "fetch", env=env)
        assert fetched.exit_code == 0, fetched.output
        assert "read 4 (0 processed before): 1 complaint, 3 hard; 4 suppressed" in fetched.output
        again = invoke("feedback", "fetch", env=env)
        assert "read 0 (0 processed before): none new" in again.output, again.output
        assert len(imap.uids("Processed")) == 4

        listed = invoke("subscribers", "suppressed", "--json")
        assert listed.exit_code == 0
        for address in [*BOUNCED, COMPLAINED]:
            assert address in listed.output

        before = len(smtp.received)
        second = invoke("send", project / "meridian-2025-01-15", env=env)
        assert second.exit_code == 0, second.output
        got = [copy.rcpt_tos[0] for copy in smtp.received[before:]]
    assert sorted(got) == READERS[4:], "the next issue reached everyone else once, those four not at all"


def test_a_mailbox_that_cannot_be_read_is_one_line_with_exit_3(project: Path):
    (project / "digest.toml").write_text(
        DELIVERY_TOML + '\n[feedback]\nimap_host = "127.0.0.1"\nimap_port = 9\nimap_user = "x"\n',
        encoding="utf-8",
    )
    result = invoke("feedback", "fetch", env={"DIGEST_IMAP_PASSWORD": "p"})
    assert result.exit_code == 3
    assert result.stderr.strip().startswith("error: cannot reach the feedback mailbox at 127.0.0.1:9")
    assert len(result.stderr.strip().splitlines()) == 1
    missing = invoke("feedback", "fetch", env={"DIGEST_IMAP_PASSWORD": ""})
    assert missing.exit_code == 2 and "DIGEST_IMAP_PASSWORD" in missing.stderr


def send_with_a_maildir(project: Path, send_project: Path) -> tuple[dict[str, Received], dict[str, str]]:
    """The issue sent to every reader, feedback read from the Maildir: each reader's copy, the env."""
    with SmtpTestServer() as smtp:
        (project / "digest.toml").write_text(
            DELIVERY_TOML + '\n[feedback]\nreturn_path = "bounces@news.example.org"\nmaildir = "Maildir"\n',
            encoding="utf-8",
        )
        env = smtp.environ(DIGEST_SECRET=TEST_SECRET)
        assert invoke("send", send_project, env=env).exit_code == 0
        return {copy.rcpt_tos[0]: copy for copy in smtp.received}, env


def test_a_maildir_is_read_the_same_way_and_two_mailboxes_are_refused(project: Path, send_project: Path):
    import mailbox

    copies, _ = send_with_a_maildir(project, send_project)
    copy = copies[READERS[5]]
    box = mailbox.Maildir(project / "Maildir", create=True)
    box.add(dsn(copy, "4.2.2", "452 4.2.2 mailbox full"))  # soft: counted, not yet suppressed
    away = b"From: someone@example.net\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n"
    box.add(away + b"\r\nAway until Monday.\r\n")
    box.close()
    fetched = invoke("feedback", "fetch", env={"DIGEST_SECRET": TEST_SECRET})
    assert fetched.exit_code == 0, fetched.output
    assert "read 2 (0 processed before): 1 auto-reply, 1 soft; 1 soft bounce counted" in fetched.output
    assert READERS[5] not in invoke("subscribers", "suppressed", "--json").output

    (project / "digest.toml").write_text(
        DELIVERY_TOML + '\n[feedback]\nmaildir = "Maildir"\nmbox = "b.mbox"\n', encoding="utf-8"
    )
    both = invoke("feedback", "fetch")
    assert both.exit_code == 2 and "set one mailbox to read, not maildir and mbox" in both.stderr
    assert len(both.stderr.strip().splitlines()) == 1


def test_a_late_bounce_or_complaint_about_an_erased_address_does_not_store_it_again(
    project: Path, send_project: Path
):
    """Erasure keeps only a salted hash; feedback arriving afterwards must not re-add the address
    (the suppression list adds an unknown address to keep it suppressed)."""
    import mailbox

    copies, env = send_with_a_maildir(project, send_project)
    erased = invoke("subscribers", "erase", READERS[0], env=env)
    assert erased.exit_code == 0, erased.output
    box = mailbox.Maildir(project / "Maildir", create=True)
    box.add(dsn(copies[READERS[0]], "5.1.1", "550 5.1.1 <reader0@example.com>: user unknown"))
    box.add(arf(copies[READERS[0]]))
    fetched = invoke("feedback", "fetch", env=env)
    assert fetched.exit_code == 0, fetched.output
    assert "2 about erased addresses (dropped)" in fetched.output
    shown = invoke("subscribers", "show", READERS[0], env=env)
    assert shown.exit_code == 1, "the address is not on the list again"
    added = invoke("subscribers", "add", READERS[0], env=env)
    assert added.exit_code == 2 and "erased" in added.output + added.stderr
