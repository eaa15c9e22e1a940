"""`digest build` of each sample week: per-stage split (load, compose, Jinja2, MJML, inline, text)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import jinja2

from digest.pipeline import build_issue
from tests.conftest import SAMPLE_WEEKS

ROUNDS = 30


def _reference_seconds(rounds: int) -> float:
    """A fixed, dependency-free workload: rendering a 200-row Jinja2 table. Ratios divide by it."""
    template = jinja2.Environment(autoescape=True).from_string(
        "{% for r in rows %}<tr><td>{{ r.a }}</td><td>{{ r.b }}</td></tr>{% endfor %}"
    )
    rows = [{"a": f"<row {i}>", "b": i * 3.5} for i in range(200)]
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        template.render(rows=rows)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    reference = _reference_seconds(ROUNDS * 10)
    print(f"reference (Jinja2, 200-row table): {reference * 1e3:.3f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        for week, folder in sorted(SAMPLE_WEEKS.items()):
            build_issue(folder, Path(tmp) / week)  # warm caches and imports
            runs = [build_issue(folder, Path(tmp) / week).timings for _ in range(ROUNDS)]
            stages = list(runs[0])
            medians = {s: statistics.median(r[s] for r in runs) for s in stages}
            total = sum(medians.values())
            print(
                f"\n{week}: total {total * 1e3:.2f} ms (median of {ROUNDS}), "
                f"{total / reference:.1f}x reference"
            )
            for stage in stages:
                share = medians[stage] / total * 100
                print(
                    f"  {stage:<8} {medians[stage] * 1e3:7.3f} ms  {share:5.1f}%  "
                    f"{medians[stage] / reference:6.2f}x reference"
                )


if __name__ == "__main__":
    main()
