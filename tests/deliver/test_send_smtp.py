"""`send_issue` against a real SMTP server (aiosmtpd on 127.0.0.1): content, exactly-once, faults."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path

import dkim
import pytest

import digest.deliver.send as send_module
from digest.deliver.dkim_signing import load_signer
from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.pool import Outcome
from digest.deliver.send import (
    Purpose,
    check_ready,
    send_issue,
    send_proofs,
    write_dry_run,
)
from digest.deliver.tokens import verify_token
from digest.errors import ConfigError
from digest.model import SubscriberStatus
from digest.pipeline import prepare_folder
from digest.store import Store, open_store
from digest.store.subscribers import add_subscriber, find_subscriber, unsubscribe
from digest.words import greeting_name
from tests.conftest import TEST_SECRET
from tests.smtp_server import Faults, SmtpTestServer

ENV = {"DIGEST_SECRET": TEST_SECRET}
PEOPLE = [
    ("ana.lopez@example.com", "Ana López"),
    ("bo@example.org", ""),
    ("chidi.okafor@example.net", "Chidi Okafor"),
    ("dana@example.com", "Dana O'Neil"),
    ("eve@example.com", "Eve"),
]


@pytest.fixture
def prepared(send_project: Path):
    return prepare_folder(send_project, Purpose.SEND, environ=ENV)


@pytest.fixture
def store(prepared) -> Store:
    store = open_store(prepared.delivery.store_path)
    for address, name in PEOPLE:
        add_subscriber(store, address, name)
    yield store
    store.close()


def send(prepared, store, server, **kwargs):
    return send_issue(prepared, store, environ={**ENV, **server.environ()}, **kwargs)


def test_every_subscriber_gets_their_own_message(prepared, store):
    with SmtpTestServer() as server:
        result = send(prepared, store, server)
    assert result.run.sent == len(PEOPLE)
    assert server.copies == {address: 1 for address, _ in PEOPLE}
    for received in server.received:
        (address,) = received.rcpt_tos
        assert received.mail_from == prepared.sender
        message = received.message()
        name = dict(PEOPLE)[address]
        assert message["To"].addresses[0].addr_spec == address
        assert message["To"].addresses[0].display_name == name
        assert message["Subject"] == prepared.issue.subject
        assert message["From"].addresses[0].addr_spec == prepared.sender
        assert message["Date"] and message["Message-ID"].endswith("@meridian-media.example>")
        assert message["List-Id"] == "Meridian Daily <meridian-daily.meridian-media.example>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = (u.strip(" <>") for u in str(message["List-Unsubscribe"]).split(","))
        token = https.removeprefix(f"{prepared.issue.newsletter.base_url}/unsubscribe?token=")
        # issue 13: the mailto: carries the same token, so a request names its subscriber
        assert mailto == f"mailto:daily+unsubscribe+{token}@meridian-media.example?subject=unsubscribe"
        verify_token(TEST_SECRET.encode(), token, address)  # their own, valid token
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert token in text and token in html
        assert (f"Hi {greeting_name(name)}," in text) == bool(name)  # the first name (issue 12: 15)
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert all(len(line) <= 998 for line in received.data.split(b"\r\n"))


def test_a_second_send_sends_nothing_new(prepared, store):
    with SmtpTestServer() as server:
        send(prepared, store, server)
        add_subscriber(store, "late@example.com", "Late Comer")
        again = send(prepared, store, server)
    assert again.run.sent == 1
    assert again.already[SendState.SENT] == len(PEOPLE)
    assert server.copies["late@example.com"] == 1
    assert max(server.copies.values()) == 1


def test_unsubscribed_and_bounced_addresses_are_not_sent_to(prepared, store):
    unsubscribe(store, find_subscriber(store, "bo@example.org").id)
    with SmtpTestServer() as server:
        send(prepared, store, server)
    assert "bo@example.org" not in server.copies
    assert len(server.copies) == len(PEOPLE) - 1


def test_limit_sends_part_and_the_rest_later(prepared, store):
    with SmtpTestServer() as server:
        first = send(prepared, store, server, limit=2)
        assert first.run.sent == 2 and first.pending == len(PEOPLE) - 2
        rest = send(prepared, store, server)
    assert rest.run.sent == len(PEOPLE) - 2
    assert server.copies == {address: 1 for address, _ in PEOPLE}


def test_451_is_retried_and_delivered_once(prepared, store):
    faults = Faults(defer_first={"chidi.okafor@example.net": "451 4.3.0 greylisted, try again"})
    with SmtpTestServer(faults) as server:
        result = send(prepared, store, server)
    assert server.handler.deferred["chidi.okafor@example.net"] == 1
    assert result.run.sent == len(PEOPLE)
    assert server.copies == {address: 1 for address, _ in PEOPLE}


def test_550_for_one_address_is_recorded_and_the_others_delivered(prepared, store):
    faults = Faults(refuse={"dana@example.com": "550 5.1.1 <dana@example.com>: no such user"})
    with SmtpTestServer(faults) as server:
        result = send(prepared, store, server)
        again = send(prepared, store, server)
    assert result.run.failed == [("dana@example.com", "550 5.1.1 <dana@example.com>: no such user")]
    assert SendLedger(store, prepared.issue_id).failures() == result.run.failed
    assert find_subscriber(store, "dana@example.com").status is SubscriberStatus.BOUNCED
    assert result.run.bounced == ["dana@example.com"]
    assert "dana@example.com" not in server.copies
    assert server.copies == {a: 1 for a, _ in PEOPLE if a != "dana@example.com"}
    assert again.run.attempted == 0


def test_a_refused_sender_stops_the_run_and_records_nobody(prepared, store):
    with SmtpTestServer(Faults(refuse_sender="550 5.7.1 sender not allowed here")) as server:
        result = send(prepared, store, server)
    assert result.run.stopped and "refused the sender daily@meridian-media.example" in result.run.error
    assert result.run.failed == [] and result.pending == len(PEOPLE)
    assert SendLedger(store, prepared.issue_id).counts() == dict.fromkeys(SendState, 0)


def test_a_policy_refusal_is_recorded_without_bouncing_the_address(prepared, store):
    faults = Faults(refuse={"eve@example.com": "550 5.7.1 message refused by policy"})
    with SmtpTestServer(faults) as server:
        result = send(prepared, store, server)
    assert result.run.failed == [("eve@example.com", "550 5.7.1 message refused by policy")]
    assert find_subscriber(store, "eve@example.com").status is SubscriberStatus.ACTIVE


def test_the_rate_limit_spaces_messages_over_all_connections(prepared, store):
    for n in range(15):
        add_subscriber(store, f"paced{n:02d}@example.com")
    with SmtpTestServer() as server:
        result = send(prepared, store, server, rate=50, concurrency=4)
    assert result.run.sent == 20
    assert result.run.seconds >= 19 / 50  # 20 starts, 1/50 s apart, however many connections


def test_a_dropped_connection_mid_batch_loses_and_doubles_nothing(prepared, store):
    for n in range(40):
        add_subscriber(store, f"reader{n:02d}@example.com")
    total = len(PEOPLE) + 40
    with SmtpTestServer(Faults(drop_at_mail={3, 17, 18, 30})) as server:
        result = send(prepared, store, server)
    assert result.run.sent == total
    assert len(server.copies) == total and set(server.copies.values()) == {1}


def test_a_timeout_is_retried_on_a_new_connection_and_delivered_once(send_project: Path, store):
    toml = send_project.parent / "digest.toml"
    toml.write_text(toml.read_text().replace("timeout = 10", "timeout = 0.3"))
    prepared = prepare_folder(send_project, Purpose.SEND, environ=ENV)
    with SmtpTestServer(Faults(stall_first_rcpt={"bo@example.org": 1.0})) as server:
        result = send(prepared, store, server)
    assert server.handler.transactions == len(PEOPLE) + 1  # the timed-out try, then the retry
    assert result.run.sent == len(PEOPLE)
    assert server.copies == {address: 1 for address, _ in PEOPLE}


def test_no_reply_after_the_data_is_uncertain_and_not_resent_unless_asked(prepared, store):
    faults = Faults(vanish_after_data={"bo@example.org"})
    with SmtpTestServer(faults) as server:
        result = send(prepared, store, server)
        assert result.uncertain == ["bo@example.org"]
        assert server.copies["bo@example.org"] == 1  # the server did get it: resending would double
        again = send(prepared, store, server)
        assert again.run.attempted == 0 and again.uncertain == ["bo@example.org"]
        faults.vanish_after_data.clear()
        forced = send(prepared, store, server, resend_uncertain=True)
    assert forced.run.sent == 1 and forced.uncertain == []
    assert server.copies["bo@example.org"] == 2  # what --resend-uncertain risks, by design
    assert all(server.copies[a] == 1 for a, _ in PEOPLE if a != "bo@example.org")


def test_stopping_finishes_messages_in_progress_and_leaves_the_rest_pending(prepared, store):
    for n in range(300):
        add_subscriber(store, f"many{n:03d}@example.com")
    stop = threading.Event()

    def stop_after_twenty(recipient, outcome, detail):
        if outcome is Outcome.SENT and server.handler.transactions >= 20:
            stop.set()

    with SmtpTestServer() as server:
        first = send(prepared, store, server, stop=stop, on_outcome=stop_after_twenty)
        assert first.run.stopped and 20 <= first.run.sent < 300
        assert first.uncertain == []  # in-progress messages finished before stopping
        rest = send(prepared, store, server)
    assert first.run.sent + rest.run.sent == 305
    assert len(server.copies) == 305 and set(server.copies.values()) == {1}


def test_proofs_go_to_the_given_addresses_and_leave_the_log_alone(send_project, store):
    proof = prepare_folder(send_project, Purpose.PROOF, environ=ENV)
    with SmtpTestServer() as server:
        report = send_proofs(proof, ["Editor <editor@meridian-media.example>"], environ=server.environ())
    assert report.sent == 1
    (received,) = server.received
    message = received.message()
    assert message["Subject"].startswith("[PROOF] ")
    assert "Hi Editor," in message.get_body(("plain",)).get_content()
    assert SendLedger(store, proof.issue_id).counts() == dict.fromkeys(SendState, 0)


def test_dry_run_writes_eml_files_and_sends_nothing(send_project, store, tmp_path: Path):
    dry = prepare_folder(send_project, Purpose.DRY_RUN, environ={})  # no secret: the dev one
    report, folder = write_dry_run(dry, store, tmp_path / "eml")
    files = sorted(folder.glob("*.eml"))
    assert report.sent == len(files) == len(PEOPLE)
    assert files[0].name == "000001-ana.lopez@example.com.eml"
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in files[0].read_bytes()
    assert SendLedger(store, dry.issue_id).counts()[SendState.SENT] == 0


def test_a_real_send_refuses_the_development_secret(send_project, store):
    dry = prepare_folder(send_project, Purpose.DRY_RUN, environ={})
    with pytest.raises(ConfigError, match="development signing secret"):
        send_issue(dry, store, environ={"DIGEST_SMTP_HOST": "127.0.0.1"})


def test_an_unreachable_server_stops_the_run_with_one_reason(prepared, store):
    from tests.smtp_server import free_port

    environ = {**ENV, "DIGEST_SMTP_HOST": "127.0.0.1", "DIGEST_SMTP_PORT": str(free_port())}
    result = send_issue(prepared, store, environ=environ)
    assert result.run.sent == 0 and result.run.stopped
    assert "cannot reach 127.0.0.1" in result.run.error
    assert result.pending == len(PEOPLE)


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory) -> tuple[Path, bytes]:
    folder = tmp_path_factory.mktemp("dkim")
    key = folder / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(key), "2048"], check=True, capture_output=True
    )
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return key, public


def test_dkim_signatures_verify(send_project: Path, dkim_key, store, monkeypatch):
    import base64

    key, public = dkim_key
    toml = send_project.parent / "digest.toml"
    toml.write_text(toml.read_text() + f'\n[dkim]\nselector = "news2025"\nkey_file = "{key}"\n')
    prepared = prepare_folder(send_project, Purpose.SEND, environ=ENV)
    reads = []
    monkeypatch.setattr(send_module, "load_signer", lambda *a: reads.append(a) or load_signer(*a))
    with SmtpTestServer() as server:
        check_ready(prepared, server.environ(DIGEST_SECRET=TEST_SECRET))
        send(prepared, store, server)
    assert len(reads) == 1  # the key is read once per send, readiness check included
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    lookups = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        lookups.append(name)
        return record if name == b"news2025._domainkey.meridian-media.example." else b""

    assert len(server.received) == len(PEOPLE)
    for received in server.received:
        assert received.data.startswith(b"DKIM-Signature:")
        signature = received.message()["DKIM-Signature"]
        signed = re.search(r"h=([^;]+)", re.sub(r"\s", "", signature)).group(1).lower().split(":")
        assert {"list-unsubscribe", "list-unsubscribe-post", "from", "to", "subject"} <= set(signed)
        assert dkim.verify(received.data, dnsfunc=dns)
        tampered = received.data.replace(b"Subject: ", b"Subject: Re: ", 1)
        assert not dkim.verify(tampered, dnsfunc=dns)
    assert lookups
