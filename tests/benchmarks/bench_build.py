"""`digest build` of each sample week and of a full issue (lead + 12 items), warm, lint included:
per-stage split (load, compose, Jinja2, MJML, inline, text, lint, write), the whole build's wall and
CPU time against the 50 ms target, and a reference workload timed in the same run; the load
average is printed beside the figures (CPU time is what a busy machine disturbs least)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import jinja2

from digest.pipeline import build_issue
from tests.conftest import SAMPLE_WEEKS
from tests.lint.test_size_budget import full_issue

ROUNDS = 30
TARGET_MS = 50.0


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


def _bench(name: str, folder: Path, out: Path, reference: float) -> None:
    build_issue(folder, out)  # warm caches and imports
    runs, walls, cpus = [], [], []
    for _ in range(ROUNDS):
        started, cpu = time.perf_counter(), time.process_time()
        runs.append(build_issue(folder, out).timings)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    stages = list(runs[0])
    medians = {s: statistics.median(r[s] for r in runs) for s in stages}
    total = sum(medians.values())
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    verdict = "within" if wall * 1e3 < TARGET_MS else "OVER"
    print(
        f"\n{name}: build {wall * 1e3:.1f} ms wall, {cpu * 1e3:.1f} ms CPU (medians of {ROUNDS}), "
        f"{wall / reference:.0f}x reference; target {TARGET_MS:g} ms: {verdict} "
        f"(load {os.getloadavg()[0]:.1f})"
    )
    for stage in stages:
        share = medians[stage] / total * 100
        print(
            f"  {stage:<8} {medians[stage] * 1e3:7.3f} ms  {share:5.1f}%  "
            f"{medians[stage] / reference:6.2f}x reference"
        )


def main() -> None:
    reference = _reference_seconds(ROUNDS * 10)
    print(f"reference (Jinja2, 200-row table): {reference * 1e3:.3f} ms (load {os.getloadavg()[0]:.1f})")
    with tempfile.TemporaryDirectory() as tmp:
        for week, folder in sorted(SAMPLE_WEEKS.items()):
            _bench(week, folder, Path(tmp) / week, reference)
        _bench("lead + 12 items", full_issue(Path(tmp) / "full"), Path(tmp) / "full-out", reference)


if __name__ == "__main__":
    main()
