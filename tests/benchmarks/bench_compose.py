"""Composing an issue: a sample week, and synthetic weeks of 200 and 2,000 stories."""

from __future__ import annotations

import random
import statistics
import time

from digest.compose import compose, compose_config
from digest.pipeline import load_stories
from digest.settings import ComposeSettings, load_issue_config
from tests.benchmarks.bench_build import _reference_seconds
from tests.compose_fixtures import NEWSLETTER, settings, story
from tests.conftest import SAMPLE_WEEKS

ROUNDS = 30


def _median_seconds(run, rounds: int) -> float:
    run()  # warm up
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _synthetic_week(size: int) -> list:
    rng = random.Random(size)
    kinds = ["article"] * 8 + ["video", "sponsored"]
    return [
        story(
            f"story-{n:05d}",
            kind=rng.choice(kinds),
            priority=rng.randint(0, 10),
            days_old=rng.uniform(0, 7),
            image=rng.random() < 0.7,
            words=rng.randint(10, 120),
            section=rng.choice(["", "Town", "Sea", "Food", "Sport"]),
        )
        for n in range(size)
    ]


def main() -> None:
    reference = _reference_seconds(ROUNDS * 10)
    print(f"reference (Jinja2, 200-row table): {reference * 1e3:.3f} ms")

    config = load_issue_config(SAMPLE_WEEKS["meridian"])
    stories = load_stories(config)
    seconds = _median_seconds(lambda: compose_config(config, stories), ROUNDS)
    print(f"meridian ({len(stories)} stories): {seconds * 1e3:.3f} ms, {seconds / reference:.2f}x reference")

    grouped = ComposeSettings(group_by_section=True, limit=12)
    for size in (200, 2000):
        week = _synthetic_week(size)
        choices = settings(order=[s.id for s in week[:5]], exclude=[s.id for s in week[5:10]])
        sent = {s.url for s in week[10:40]}
        seconds = _median_seconds(
            lambda week=week, choices=choices, sent=sent: compose(
                NEWSLETTER, choices, week, options=grouped, recently_sent=sent
            ),
            ROUNDS if size < 1000 else 5,
        )
        print(
            f"synthetic {size} stories (grouped, order/exclude/recently sent): {seconds * 1e3:.2f} ms, "
            f"{seconds / reference:.1f}x reference, {size / seconds:,.0f} stories/s"
        )


if __name__ == "__main__":
    main()
