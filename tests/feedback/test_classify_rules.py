"""The rules at their edges: what an ordinary reply, a bounce without structure and a policy block are."""

from __future__ import annotations

import pytest

from digest.feedback import FeedbackKind, classify


@pytest.mark.parametrize(
    "subject",
    ["Re: my comment was rejected", "Re: the bounce house story", "Re: The Weekly Digest, week 2"],
)
def test_an_ordinary_reply_is_never_a_bounce(subject: str):
    message = f"From: Greta <greta@example.com>\nTo: news@example.org\nSubject: {subject}\n\nThanks!\n"
    assert classify(message.encode()).kind is FeedbackKind.OTHER


def test_a_text_bounce_from_a_mail_system_without_structure_is_read_by_its_words():
    message = (
        b"From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n"
        b"<ana@example.net>:\nSorry, the user's mailbox is full. (#4.2.2)\n"
    )
    found = classify(message)
    assert (found.kind, found.recipient, found.status) == (FeedbackKind.SOFT, "ana@example.net", "4.2.2")


def test_a_blocklist_refusal_is_a_policy_block_not_a_dead_address():
    message = (
        b"From: Mail Delivery System <MAILER-DAEMON@relay.example>\nSubject: Undelivered Mail\n\n"
        b"<bo@example.org>: host mx.example.org said: 554 5.7.1 Service unavailable;"
        b" client host [192.0.2.1] blocked using zen.spamhaus.org\n"
    )
    found = classify(message)
    assert (found.kind, found.policy_block) == (FeedbackKind.SOFT, True)


def test_an_encoded_subject_is_decoded_before_its_words_are_read():
    message = b"From: eva@example.de\nSubject: =?utf-8?q?Abwesenheitsnotiz=3A_Urlaub?=\n\nbis Montag\n"
    assert classify(message).kind is FeedbackKind.AUTO_REPLY
