"""Consent records: each event kept with the words shown, oldest first, erased with the subscriber."""

from digest.store import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    add_subscriber,
    consent_history,
    consent_text_hash,
    erase_subscriber,
    open_store,
    record_consent,
)


def test_events_come_back_in_order_with_their_evidence(store_at):
    store = open_store(store_at("s.db"))
    subscriber, _ = add_subscriber(store, "ada@example.org")
    sentence = consent_text_hash("Yes, email me the weekly digest.")
    with store.transaction() as db:
        record_consent(
            db,
            ConsentEvent(
                subscriber.id, ConsentKind.CONFIRMED, ConsentMethod.FORM, "2026-03-02T09:00:05+00:00"
            ),
        )
        record_consent(
            db,
            ConsentEvent(
                subscriber.id,
                ConsentKind.GIVEN,
                ConsentMethod.FORM,
                "2026-03-02T09:00:00+00:00",
                source="form: https://news.example/subscribe",
                text_hash=sentence,
            ),
        )
    history = consent_history(store, subscriber.id)
    assert [event.kind for event in history] == [ConsentKind.GIVEN, ConsentKind.CONFIRMED]
    assert history[0].text_hash == sentence and history[0].source.startswith("form: ")
    assert history[0].ip == ""  # none recorded unless record_ip is on


def test_the_sentence_version_ignores_rewrapping_but_not_rewording():
    one = consent_text_hash("Yes, email me\n   the weekly digest.")
    assert one == consent_text_hash("Yes, email me the weekly digest.")
    assert one != consent_text_hash("Yes, email me the daily digest.")
    assert one.startswith("sha256:") and len(one) == len("sha256:") + 64


def test_erasing_a_subscriber_erases_its_consent_records(store_at):
    store = open_store(store_at("s.db"))
    subscriber, _ = add_subscriber(store, "ada@example.org")
    with store.transaction() as db:
        record_consent(db, ConsentEvent(subscriber.id, ConsentKind.GIVEN, ConsentMethod.CLI, ""))
    erase_subscriber(store, "ada@example.org", b"erasure salt")
    assert store.fetchvalue("SELECT count(*) FROM consent_events") == 0
