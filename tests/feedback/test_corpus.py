"""The classifier over the corpus of real bounces, complaints, auto-replies and unsubscribes:
the figures the issue asks for, printed, and every message's expected reading listed on failure."""

from __future__ import annotations

from digest.feedback import classify
from tests.feedback.corpus import BOUNCE_KINDS, CORPUS, corpus

MIN_RECIPIENT_ACCURACY = 0.95
MIN_CLASS_ACCURACY = 0.90


def test_every_message_in_the_corpus_is_listed_in_the_manifest():
    listed = {entry.path for entry in corpus()}
    on_disk = {p for p in CORPUS.rglob("*") if p.suffix in (".eml", ".txt")}
    assert on_disk == listed
    assert len(listed) >= 60


def test_accuracy_over_the_corpus(capsys):
    entries = corpus()
    right_class, wrong = 0, []
    bounces = right_recipient = 0
    for entry in entries:
        found = classify(entry.path.read_bytes())
        if found.kind == entry.kind:
            right_class += 1
        else:
            wrong.append(f"{entry.path.name}: {found.kind}, expected {entry.kind} ({found.reason})")
        if entry.kind in BOUNCE_KINDS and entry.recipients:
            bounces += 1
            if found.recipient in entry.recipients:
                right_recipient += 1
            else:
                wrong.append(f"{entry.path.name}: recipient {found.recipient}, expected {entry.recipients}")
    class_rate, recipient_rate = right_class / len(entries), right_recipient / bounces
    with capsys.disabled():
        print(
            f"\nfeedback corpus: {len(entries)} messages, right class {right_class}/{len(entries)} "
            f"({class_rate:.1%}); {bounces} bounces naming a recipient, right recipient "
            f"{right_recipient}/{bounces} ({recipient_rate:.1%})"
        )
    assert class_rate >= MIN_CLASS_ACCURACY, "\n".join(wrong)
    assert recipient_rate >= MIN_RECIPIENT_ACCURACY, "\n".join(wrong)


def test_policy_blocks_are_told_apart_from_dead_addresses():
    for entry in corpus():
        found = classify(entry.path.read_bytes())
        if entry.kind == "soft" and found.kind == "soft":
            assert found.policy_block == entry.policy_block, entry.path.name


def test_complaints_and_auto_replies_are_never_bounces():
    for entry in corpus():
        if entry.kind in ("complaint", "auto-reply", "unsubscribe"):
            assert classify(entry.path.read_bytes()).kind == entry.kind, entry.path.name
