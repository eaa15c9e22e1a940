"""The return-path token read back from what comes back: a bounce maps to its issue and subscriber
even when the DSN is malformed or names a forwarded address; a forged or altered token names nobody."""

from __future__ import annotations

from digest.feedback import classify
from tests.feedback.corpus import SECRET, corpus


def test_verified_tokens_give_the_issue_and_subscriber():
    checked = [entry for entry in corpus() if entry.checks_ids]
    assert len(checked) >= 4
    for entry in checked:
        found = classify(entry.path.read_bytes(), secret=SECRET)
        assert (found.issue_id, found.subscriber_id) == (entry.issue_id, entry.subscriber_id), entry.path.name


def test_a_malformed_dsn_without_any_address_still_names_its_subscriber():
    entry = next(e for e in corpus() if e.path.name == "verp-malformed-dsn.eml")
    found = classify(entry.path.read_bytes(), secret=SECRET)
    assert found.recipient is None
    assert (found.kind, found.issue_id, found.subscriber_id) == ("hard", "2025-W02", 42)


def test_without_the_secret_no_token_is_believed():
    for entry in corpus():
        if entry.checks_ids:
            found = classify(entry.path.read_bytes(), secret=b"some other secret, 32 bytes long")
            assert found.issue_id is None, entry.path.name


def test_a_forged_token_names_nobody():
    entry = next(e for e in corpus() if e.path.name == "verp-forged-token.eml")
    found = classify(entry.path.read_bytes(), secret=SECRET)
    assert (found.issue_id, found.subscriber_id) == (None, None)
    assert found.kind == "hard"  # still read as the bounce it is
