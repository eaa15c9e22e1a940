"""No input crashes the classifier: random bytes, and real samples cut, spliced and flipped."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.feedback import Feedback, FeedbackKind, classify
from tests.feedback.corpus import SECRET, corpus

SAMPLES = [entry.path.read_bytes() for entry in corpus()]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_are_classified_without_an_error(data: bytes):
    found = classify(data, secret=SECRET)
    assert isinstance(found, Feedback)
    assert found.kind in FeedbackKind


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.integers(min_value=0, max_value=20000),
    st.integers(min_value=0, max_value=20000),
    st.binary(max_size=64),
)
def test_mutated_real_messages_are_classified_without_an_error(
    sample: bytes, start: int, length: int, junk: bytes
):
    start %= len(sample) + 1
    mutated = sample[:start] + junk + sample[start + length % 512 :]
    found = classify(mutated, secret=SECRET)
    assert found.kind in FeedbackKind


def test_pathological_inputs():
    deep = b"Content-Type: multipart/mixed; boundary=a\n\n--a\n" * 400
    nested_rfc822 = b"Content-Type: message/rfc822\n\n" * 300 + b"Subject: x\n\nbody"
    headers_only = b'From: =?utf-8?q?=FF=FE?= <>\nTo: <<<@@@>>>, "\nSubject: =?bogus?x?zz?=\n\n'
    for data in (b"", b"\x00" * 1000, deep, nested_rfc822, headers_only, b"\r\n" * 5000):
        assert classify(data).kind in FeedbackKind
