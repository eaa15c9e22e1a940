"""[feedback] return_path over real SMTP: each copy's MAIL FROM names its issue and subscriber, a
bounce sent back to that address is read back to them, and every copy carries a Feedback-ID."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.deliver.return_path import MAX_LOCAL_PART, read_return_path
from digest.deliver.send import Purpose, send_issue, send_proofs
from digest.feedback import classify
from digest.pipeline import prepare_folder
from digest.store import open_store
from digest.store.subscribers import add_subscriber, find_subscriber
from tests.conftest import TEST_SECRET
from tests.smtp_server import SmtpTestServer

ENV = {"DIGEST_SECRET": TEST_SECRET}
PEOPLE = ["ana@example.com", "bo@example.org", "chidi@example.net"]


def _project(send_project: Path, feedback: str) -> Path:
    digest_toml = send_project.parent / "digest.toml"
    digest_toml.write_text(digest_toml.read_text(encoding="utf-8") + feedback, encoding="utf-8")
    return send_project


def _send(folder: Path):
    prepared = prepare_folder(folder, Purpose.SEND, environ=ENV)
    store = open_store(prepared.delivery.store_path)
    for address in PEOPLE:
        add_subscriber(store, address, "")
    with SmtpTestServer() as server:
        send_issue(prepared, store, environ={**ENV, **server.environ()})
    ids = {address: find_subscriber(store, address).id for address in PEOPLE}
    store.close()
    return prepared, server.received, ids


def test_each_copy_goes_out_from_its_own_signed_return_path(send_project: Path):
    folder = _project(send_project, '\n[feedback]\nreturn_path = "bounces@news.example.org"\n')
    prepared, received, ids = _send(folder)
    assert len(received) == len(PEOPLE)
    for copy in received:
        (address,) = copy.rcpt_tos
        local, _, domain = copy.mail_from.rpartition("@")
        assert domain == "news.example.org" and local.startswith("bounces+")
        assert len(local) <= MAX_LOCAL_PART
        found = read_return_path(TEST_SECRET.encode(), copy.mail_from)
        assert found is not None
        assert (found.issue_id, found.subscriber_id) == (prepared.issue_id, ids[address])
        assert copy.message()["Feedback-ID"] == f"{prepared.issue_id}:issue:meridian-daily:digest"


def test_a_bounce_to_that_address_names_the_subscriber_even_without_a_recipient(send_project: Path):
    folder = _project(send_project, '\n[feedback]\nreturn_path = "bounces@news.example.org"\n')
    prepared, received, ids = _send(folder)
    copy = next(c for c in received if c.rcpt_tos == ["bo@example.org"])
    bounce = (
        f"Delivered-To: {copy.mail_from}\nFrom: MAILER-DAEMON@relay.example\nTo: {copy.mail_from}\n"
        "Subject: Undelivered Mail Returned to Sender\n\nSorry, 550 5.1.1 mailbox unavailable.\n"
    ).encode()
    found = classify(bounce, secret=TEST_SECRET.encode())
    expected = ("hard", prepared.issue_id, ids["bo@example.org"])
    assert (found.kind, found.issue_id, found.subscriber_id) == expected
    altered = bounce.replace(copy.mail_from.encode(), copy.mail_from.replace("+", "+x").encode())
    assert classify(altered, secret=TEST_SECRET.encode()).subscriber_id is None


def test_without_a_return_path_the_from_address_stays_the_envelope_sender(send_project: Path):
    prepared, received, _ = _send(send_project)
    assert {copy.mail_from for copy in received} == {prepared.sender}
    assert all(copy.message()["Feedback-ID"] for copy in received)


def test_proofs_keep_the_plain_envelope_sender_and_say_proof(send_project: Path):
    folder = _project(send_project, '\n[feedback]\nreturn_path = "bounces@news.example.org"\n')
    prepared = prepare_folder(folder, Purpose.PROOF, environ=ENV)
    with SmtpTestServer() as server:
        send_proofs(prepared, ["editor@example.com"], environ={**ENV, **server.environ()})
    (copy,) = server.received
    assert copy.mail_from == prepared.sender
    assert copy.message()["Feedback-ID"].split(":")[1] == "proof"


@pytest.mark.parametrize("value", ["bounces+x@news.example.org", "not an address"])
def test_a_return_path_with_a_tag_or_no_address_is_refused(send_project: Path, value: str):
    from digest.errors import ConfigError

    folder = _project(send_project, f'\n[feedback]\nreturn_path = "{value}"\n')
    with pytest.raises(ConfigError, match="return_path"):
        prepare_folder(folder, Purpose.SEND, environ=ENV)
