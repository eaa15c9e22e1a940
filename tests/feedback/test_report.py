"""Per-issue figures, the receiving-domain view, mailto: unsubscribes with a signed token and
replies forwarded: an issue sent over SMTP (aiosmtpd) with a return path, what came back put in
an mbox and read by `digest feedback fetch`, then `digest feedback report` through the CLI."""

from __future__ import annotations

import json
import mailbox
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from tests.conftest import DELIVERY_TOML, TEST_SECRET
from tests.feedback.test_fetch import arf, dsn
from tests.smtp_server import Received, SmtpTestServer

PLAIN = [f"reader{n}@example.com" for n in range(6)]
BLOCKED = [f"reader{n}@blocked.example" for n in range(6)]
FORWARD_TO = "desk@meridian-media.example"
SPAMHAUS = "550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org"


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def mailto_of(copy: Received) -> str:
    """The List-Unsubscribe mailto: address of one copy."""
    header = str(copy.message()["List-Unsubscribe"])
    mailto = next(part.strip(" <>") for part in header.split(",") if "mailto:" in part)
    return mailto.removeprefix("mailto:").partition("?")[0]


def request(to: str, sender: str, subject: str = "unsubscribe", extra: str = "") -> bytes:
    """A message as a mail client writes it (the subject as given: encoded words and all)."""
    body = "Please take me off the list." if subject == "unsubscribe" else "Thanks, great issue!"
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}"
        f"Message-ID: <{abs(hash((to, sender, subject)))}@mua.example>\r\n\r\n{body}\r\n"
    ).encode()


def forged(address: str) -> str:
    """The address with the last character of its token's signature changed."""
    local, _, domain = address.rpartition("@")
    return f"{local[:-1]}{'1' if local[-1].lower() == '0' else '0'}@{domain}"


@pytest.fixture
def sent(send_project: Path, tmp_path: Path):
    """The Meridian issue (2025-W02) sent to 12 readers, 6 of them at blocked.example."""
    os.chdir(tmp_path)
    for address in PLAIN + BLOCKED:
        assert invoke("subscribers", "add", address).exit_code == 0
    with SmtpTestServer() as smtp:
        (tmp_path / "digest.toml").write_text(
            DELIVERY_TOML + '\n[feedback]\nreturn_path = "bounces@news.example.org"\nmbox = "back.mbox"\n'
            f'forward_to = "{FORWARD_TO}"\n',
            encoding="utf-8",
        )
        env = smtp.environ(DIGEST_SECRET=TEST_SECRET)
        first = invoke("send", send_project, env=env)
        assert first.exit_code == 0, first.output
        # The send's own report carries the issue's figures (nothing came back yet).
        assert "2025-W02: sent 12, delivered 12 (100.00%)" in first.output
        yield smtp, env, {copy.rcpt_tos[0]: copy for copy in smtp.received}


def test_figures_rates_domains_mailto_tokens_and_forwards(sent, tmp_path: Path):
    smtp, env, copies = sent
    box = mailbox.mbox(tmp_path / "back.mbox")
    for message in (
        dsn(copies[PLAIN[0]], "5.1.1", "550 5.1.1 user unknown"),
        dsn(copies[PLAIN[1]], "4.2.2", "452 4.2.2 mailbox full"),
        arf(copies[PLAIN[2]]),
        # From another address of theirs: the token names them.
        request(mailto_of(copies[PLAIN[3]]), "Reader Three <three@elsewhere.example>"),
        # An altered token unsubscribes nobody, not even the sender, and does not stop the fetch.
        request(forged(mailto_of(copies[PLAIN[4]])), PLAIN[4]),
        *(dsn(copies[address], "5.7.1", SPAMHAUS) for address in BLOCKED[:5]),
        request(
            "daily@meridian-media.example", PLAIN[5], "=?utf-8?q?Re:_hi=0D=0ABcc:_evil@attacker.example?="
        ),
        request(
            "daily@meridian-media.example", BLOCKED[5], "Out of office", "Auto-Submitted: auto-replied\r\n"
        ),
    ):
        box.add(message)
    box.close()

    before = len(smtp.received)
    fetched = invoke("feedback", "fetch", env=env)
    assert fetched.exit_code == 0, fetched.output
    assert "read 12 (0 processed before)" in fetched.output
    assert "1 about no known address" in fetched.output  # the forged token
    assert "; 2 forwarded" in fetched.output
    again = invoke("feedback", "fetch", env=env)
    assert "read 12 (12 processed before): none new" in again.output, again.output
    forwards = smtp.received[before:]
    assert [f.rcpt_tos for f in forwards] == [[FORWARD_TO], [FORWARD_TO]], (
        "each forwarded once, to forward_to only"
    )
    for forward in forwards:
        message = forward.message()
        assert message["Bcc"] is None and "\n" not in str(message["Subject"])
        assert [part.get_content_type() for part in message.iter_attachments()] == ["message/rfc822"]
    head = forwards[0].data.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert b"Subject: Fwd: Re: hi Bcc: evil@attacker.example" in head, "one line: no header of its own"
    assert not any(line.lower().startswith(b"bcc:") for line in head)

    suppressed = invoke("subscribers", "suppressed", "--json").output
    assert PLAIN[3] in suppressed and PLAIN[4] not in suppressed
    assert not any(address in suppressed for address in BLOCKED), "a policy block suppresses nobody"

    report = invoke("feedback", "report", "2025-W02", "--json")
    assert report.exit_code == 0, report.output
    figures = json.loads(report.output)
    counts = {key: figures[key] for key in ("sent", "delivered", "hard", "soft", "policy_blocks")}
    assert counts == {"sent": 12, "delivered": 5, "hard": 1, "soft": 1, "policy_blocks": 5}
    assert (figures["complaints"], figures["unsubscribes"]) == (1, 1)
    assert figures["rates"]["complaints"] == pytest.approx(1 / 5)
    assert figures["rates"]["hard"] == pytest.approx(1 / 12)
    assert figures["rates_over"] == {
        "hard": "sent",
        "soft": "sent",
        "policy_blocks": "sent",
        "complaints": "delivered",
        "unsubscribes": "delivered",
    }
    blocked = figures["domains"][0]
    assert blocked == {
        "domain": "blocked.example",
        "sent": 6,
        "hard": 0,
        "soft": 0,
        "policy": 5,
        "reputation_problem": True,
    }
    assert figures["domains"][1]["reputation_problem"] is False

    details = invoke("feedback", "report", "2025-W02").output
    assert "complaints    1  (20.00% of delivered)" in details
    assert "hard bounces  1  (8.33% of sent)" in details
    assert (
        "note: blocked.example refused 5 of 6 copies for policy (5.7.x, a blocklist): a reputation problem "
        "at that domain, not dead addresses" in details
    )
    listing = invoke("feedback", "report").output.strip().splitlines()
    assert listing == [
        "2025-W02: sent 12, delivered 5 (41.67%); of sent: hard 1 (8.33%), soft 1 (8.33%), "
        "policy 5 (41.67%); of delivered: complaints 1 (20.00%), unsubscribes 1 (20.00%)"
    ]


def test_an_issue_never_sent_and_a_bad_issue_id(sent):
    assert invoke("feedback", "report", "2031-W05").output == "2031-W05: not in the send log (never sent)\n"
    assert json.loads(invoke("feedback", "report", "2031-W05", "--json").output)["rates"]["hard"] is None
    bad = invoke("feedback", "report", "2031-W99")
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1
