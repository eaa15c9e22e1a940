"""Per-issue render split (Jinja2, mjml-python, inlining, lint) for each sample week and a full issue
(lead + 12 items), against the reference npm `mjml` compiler timed in the same run, plus the whole
warm `digest build` (lint included, browser checks excluded; target < 50 ms, issue 16)."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from digest.compose import compose_config
from digest.lint import lint_rendered
from digest.model import RenderedIssue
from digest.pipeline import build_issue, load_stories
from digest.render import RecipientLinks, load_theme, render_mjml, render_text
from digest.render.html import compile_mjml, finish_html, inline_css
from digest.settings import load_issue_config
from tests.conftest import SAMPLE_WEEKS
from tests.judges.node import JS
from tests.lint.test_size_budget import full_issue

ROUNDS = 40
BUILD_BUDGET_MS = 50.0


def median_ms(function: Callable[[], object], rounds: int = ROUNDS) -> float:
    function()  # warm
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e3


def reference_mjml_ms(source: str, folder: Path) -> float | None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "issue.mjml"
    path.write_text(source, encoding="utf-8")
    try:
        result = subprocess.run(
            ["node", str(JS / "bench-mjml.cjs"), str(path), str(ROUNDS)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
            cwd=JS,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"  (reference mjml unavailable: {e}; run `npm ci --prefix tests/js`)")
        return None
    return json.loads(result.stdout)["median_ms"]


def bench_folder(name: str, folder: Path, tmp: Path) -> None:
    config = load_issue_config(folder)
    issue = compose_config(config, load_stories(config)).issue
    theme = load_theme(config.theme_dir)
    links = RecipientLinks.for_archive(issue)
    source = render_mjml(issue, theme, links)
    compiled = compile_mjml(source)
    html = finish_html(inline_css(compiled), issue.preheader)
    rendered = RenderedIssue(issue=issue, html=html, text=render_text(issue, theme, links))

    stages = {
        "jinja2": median_ms(lambda: (render_mjml(issue, theme, links), render_text(issue, theme, links))),
        "mjml-python": median_ms(lambda: compile_mjml(source)),
        "inlining": median_ms(lambda: finish_html(inline_css(compiled), issue.preheader)),
        "lint": median_ms(lambda: lint_rendered(rendered)),
    }
    reference = reference_mjml_ms(source, tmp)
    build = median_ms(lambda: build_issue(folder, tmp / "out"), rounds=20)
    total = sum(stages.values())
    print(
        f"\n{name}: {len(issue.more_from)} items, {len(html.encode()):,} bytes HTML; "
        f"render + lint {total:.2f} ms (median of {ROUNDS})"
    )
    for stage, ms in stages.items():
        print(f"  {stage:<12} {ms:7.3f} ms  {ms / total * 100:5.1f}%")
    if reference is not None:
        ratio = reference / stages["mjml-python"]
        print(f"  reference npm mjml {reference:.3f} ms: mjml-python is {ratio:.1f}x faster")
    verdict = "within" if build < BUILD_BUDGET_MS else "OVER"
    print(
        f"  whole digest build (warm, lint included, files written): {build:.2f} ms,"
        f" {verdict} {BUILD_BUDGET_MS:g} ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for week, folder in sorted(SAMPLE_WEEKS.items()):
            bench_folder(week, folder, tmp / week)
        bench_folder("lead + 12 items", full_issue(tmp / "full"), tmp / "full-run")


if __name__ == "__main__":
    main()
