"""Classifying what comes back: messages per second over the feedback corpus, on one core.

The reference is the standard library parsing the same messages (`email.message_from_bytes`
with `policy.default`), which every classification starts with: the ratio says what reading the
structure, the detectors and the tables cost on top. Target: at least 1,000 messages/s.
"""

from __future__ import annotations

import email
import statistics
import time
from email import policy

from digest.feedback import classify
from tests.feedback.corpus import SECRET, corpus

ROUNDS = 7
TARGET_PER_SECOND = 1000


def _seconds_per_pass(work, messages: list[bytes]) -> float:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for data in messages:
            work(data)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    messages = [entry.path.read_bytes() for entry in corpus()]
    classify(messages[0], secret=SECRET)  # imports and compiled patterns, outside the timing
    reference = _seconds_per_pass(
        lambda data: email.message_from_bytes(data, policy=policy.default), messages
    )
    seconds = _seconds_per_pass(lambda data: classify(data, secret=SECRET), messages)
    rate = len(messages) / seconds
    print(
        f"corpus: {len(messages)} messages, {sum(map(len, messages)) / 1024:.0f} KiB "
        f"(median of {ROUNDS} passes)"
    )
    print(
        f"reference (email.message_from_bytes, policy.default): {len(messages) / reference:,.0f} messages/s"
    )
    print(
        f"classify: {rate:,.0f} messages/s, {seconds / len(messages) * 1e3:.3f} ms each, "
        f"{seconds / reference:.2f}x reference"
    )
    print(f"target {TARGET_PER_SECOND:,} messages/s: {'met' if rate >= TARGET_PER_SECOND else 'NOT met'}")


if __name__ == "__main__":
    main()
