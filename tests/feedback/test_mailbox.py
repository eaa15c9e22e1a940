"""Where feedback arrives, read from real sources: a dovecot IMAP server on 127.0.0.1 (plain and
TLS), a Maildir and an mbox. New messages are read once; after each is processed the source is
told (moved to Processed, flagged seen), so the next read finds nothing new; a mailbox that
cannot be used is one line naming it."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.feedback.mailbox import (
    ImapAccount,
    ImapSource,
    MailboxError,
    MaildirSource,
    MboxSource,
    message_key,
)
from digest.store import open_store
from digest.store.feedback_log import ProcessedMessages
from tests.imap_server import ImapTestServer
from tests.smtp_server import free_port


def bounce(n: int, *, message_id: bool = True) -> bytes:
    """A small delivery-status notification, as a relay sends one back."""
    header = f"Message-ID: <dsn{n}@mx.example.net>\r\n" if message_id else ""
    return (
        f"From: MAILER-DAEMON@mx.example.net\r\nTo: bounces@news.example.org\r\n{header}"
        f"Subject: Undelivered Mail Returned to Sender ({n})\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain\r\n\r\n"
        f"<reader{n}@example.com>: host mx.example.com said: 550 5.1.1 no such user\r\n"
    ).encode()


def account(imap: ImapTestServer, **changes: object) -> ImapAccount:
    fields: dict[str, object] = {
        "host": imap.host,
        "port": imap.port,
        "user": imap.user,
        "password": imap.password,
        "security": "tls" if imap.tls else "none",
    }
    return ImapAccount(**{**fields, **changes})  # type: ignore[arg-type]


def read_all(source) -> list:
    try:
        return list(source.messages())
    finally:
        source.close()


@pytest.fixture(scope="module")
def imap():
    with ImapTestServer() as server:
        yield server


def test_imap_new_messages_are_read_once_and_moved_to_processed(imap: ImapTestServer):
    imap.append(bounce(1), bounce(2), bounce(3, message_id=False))
    source = ImapSource(account(imap))
    try:
        arrived = list(source.messages())
        assert [m.key for m in arrived[:2]] == ["<dsn1@mx.example.net>", "<dsn2@mx.example.net>"]
        assert arrived[2].key.startswith("sha256:") and len(arrived[2].key) == 7 + 64
        assert b"550 5.1.1 no such user" in arrived[0].raw
        for message in arrived:
            source.done(message)
    finally:
        source.close()
    assert read_all(ImapSource(account(imap))) == []
    assert imap.uids("INBOX") == [] and len(imap.uids("Processed")) == 3


def test_imap_without_a_processed_folder_flags_messages_seen(imap: ImapTestServer):
    imap.append(bounce(4))
    source = ImapSource(account(imap, processed_folder=""))
    try:
        [message] = list(source.messages())
        source.done(message)
    finally:
        source.close()
    assert read_all(ImapSource(account(imap, processed_folder=""))) == []
    assert len(imap.uids("INBOX")) == 1  # still there, seen


def test_imap_over_tls_trusts_only_a_valid_certificate():
    with ImapTestServer(tls=True) as imap:
        imap.append(bounce(5))
        trusted = read_all(ImapSource(account(imap), ssl_context=imap.ssl_context()))
        assert [m.key for m in trusted] == ["<dsn5@mx.example.net>"]
        with pytest.raises(MailboxError) as refused:
            ImapSource(account(imap))  # the system's trust store does not know this certificate
    assert f"cannot reach the feedback mailbox at 127.0.0.1:{imap.port}" in str(refused.value)
    assert "certificate" in str(refused.value).lower()


def test_a_mailbox_that_cannot_be_used_is_one_line_naming_it(imap: ImapTestServer):
    with pytest.raises(MailboxError) as login:
        ImapSource(account(imap, password="wrong"))
    assert str(login.value) == (
        f"the feedback mailbox at 127.0.0.1:{imap.port} refused the login of 'feedback@news.example.org'"
    )
    port = free_port()
    with pytest.raises(MailboxError) as nobody:
        ImapSource(account(imap, port=port))
    assert str(nobody.value).startswith(f"cannot reach the feedback mailbox at 127.0.0.1:{port}: ")
    with pytest.raises(MailboxError) as folder:
        ImapSource(account(imap, folder="Bounces"))
    assert "Bounces" in str(folder.value) and "\n" not in str(folder.value)


def test_a_maildir_marks_what_was_processed_seen(tmp_path: Path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(bounce(6))
    box.add(mailbox.MaildirMessage(bounce(7)))
    box.close()
    source = MaildirSource(tmp_path / "Maildir")
    try:
        arrived = sorted(source.messages(), key=lambda m: m.key)
        assert [m.key for m in arrived] == ["<dsn6@mx.example.net>", "<dsn7@mx.example.net>"]
        source.done(arrived[0])
    finally:
        source.close()
    assert [m.key for m in read_all(MaildirSource(tmp_path / "Maildir"))] == ["<dsn7@mx.example.net>"]
    assert len(list((tmp_path / "Maildir" / "cur").iterdir())) == 1
    with pytest.raises(MailboxError, match="not a Maildir"):
        MaildirSource(tmp_path)


def test_an_mbox_is_read_whole_and_never_rewritten(tmp_path: Path):
    path = tmp_path / "feedback.mbox"
    box = mailbox.mbox(path)
    for n in (8, 9):
        box.add(bounce(n))
    box.close()
    before = path.read_bytes()
    source = MboxSource(path)
    try:
        arrived = list(source.messages())
        for message in arrived:
            source.done(message)
    finally:
        source.close()
    assert [m.key for m in arrived] == ["<dsn8@mx.example.net>", "<dsn9@mx.example.net>"]
    assert path.read_bytes() == before
    with pytest.raises(MailboxError, match="no such mbox file"):
        MboxSource(tmp_path / "missing.mbox")


def test_the_processed_table_counts_a_message_once(tmp_path: Path):
    store = open_store(tmp_path / "digest.db")
    try:
        processed = ProcessedMessages(store)
        now = dt.datetime(2025, 3, 14, 9, tzinfo=dt.UTC)
        assert not processed.seen("<dsn1@mx.example.net>")
        assert processed.record("<dsn1@mx.example.net>", source="imap://x", kind="hard", now=now)
        assert not processed.record("<dsn1@mx.example.net>", source="mbox", kind="hard", now=now)
        assert processed.seen("<dsn1@mx.example.net>") and processed.count() == 1
    finally:
        store.close()


@given(st.binary(max_size=2000))
def test_any_bytes_have_a_key(raw: bytes):
    key = message_key(raw)
    assert key and "\n" not in key and "\r" not in key
