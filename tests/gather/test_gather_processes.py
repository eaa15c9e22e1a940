"""Many local feeds are read in worker processes: the same result as reading them in this one.

A process is only forked while it has a single thread, and the test run itself has threads left
by other tests (servers, browsers), so these tests run their checks in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from digest.gather import MIN_FEEDS_FOR_PROCESSES, GatherOptions, gather_week
from digest.gather.process_pool import map_in_processes, usable_cores
from digest.model import Source, SourceKind
from tests.gather.test_gather_feeds import FEEDS, NOW, WEEK, feed

ROOT = Path(__file__).parents[2]


def square(number: int) -> tuple[int, int]:
    return number, number * number


def die_on_seven(number: int) -> int:
    if number == 7:
        os._exit(3)  # a worker killed mid-batch (out of memory, a crash in a C extension)
    return number


def local_sources() -> list[Source]:
    """Every fixture feed (good, broken, not a feed), a missing file and a folder, twice over."""
    sources = [feed(p.name) for p in sorted(FEEDS.iterdir())]
    sources.append(Source(kind=SourceKind.FEED, location=str(FEEDS / "missing.rss"), name="missing"))
    sources.append(Source(kind=SourceKind.FEED, location=str(FEEDS), name="a folder"))
    return sources * 2


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter with only its main thread; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class TestGatherInProcesses:
    def test_many_local_feeds_give_what_one_process_gives(self):
        out = run_fresh(
            """
            import digest.gather.sources as sources
            from digest.gather import GatherOptions, gather_week
            from digest.gather.process_pool import can_fork_safely, usable_cores
            from tests.gather.test_gather_feeds import NOW, WEEK
            from tests.gather.test_gather_processes import local_sources

            used = []
            map_in_processes = sources.map_in_processes
            sources.map_in_processes = lambda *a, **k: used.append(map_in_processes(*a, **k)) or used[-1]
            assert can_fork_safely()
            in_processes = gather_week(local_sources(), WEEK, now=NOW)
            in_this_process = gather_week(local_sources(), WEEK, now=NOW, options=GatherOptions(workers=1))
            assert in_processes == in_this_process
            print("pool used" if used and used[0] is not None else "pool not used", usable_cores())
            """
        )
        assert out.split()[:2] == (["pool", "used"] if usable_cores() >= 2 else ["pool", "not"])

    def test_reports_and_errors_are_the_same_either_way(self):
        sources = local_sources()
        assert len(sources) >= MIN_FEEDS_FOR_PROCESSES
        result = gather_week(sources, WEEK, now=NOW)
        assert result == gather_week(sources, WEEK, now=NOW, options=GatherOptions(workers=1))
        assert [r.source for r in result.report] == [s.label for s in sources]
        assert result.stories
        errors = [r.error for r in result.report if r.failed]
        assert errors.count("file not found") == 2
        assert sum(e.startswith("is a folder") for e in errors) == 2
        assert sum(e.startswith("not a feed") for e in errors) == 2


class TestMapInProcesses:
    def test_results_come_back_in_order(self):
        out = run_fresh(
            """
            from digest.gather.process_pool import map_in_processes
            from tests.gather.test_gather_processes import square
            print(map_in_processes(square, list(range(50)), workers=2))
            """
        )
        assert out.strip() == str([(n, n * n) for n in range(50)])

    def test_a_dead_worker_means_the_caller_does_the_work(self):
        out = run_fresh(
            """
            from digest.gather.process_pool import can_fork_safely, map_in_processes
            from tests.gather.test_gather_processes import die_on_seven
            assert can_fork_safely()
            print(map_in_processes(die_on_seven, list(range(20)), workers=2))
            """
        )
        assert out.strip() == "None"

    def test_too_little_to_share_is_left_to_the_caller(self):
        assert map_in_processes(square, [1], workers=2) is None
        assert map_in_processes(square, [1, 2, 3], workers=1) is None

    def test_never_forks_while_another_thread_runs(self):
        out = run_fresh(
            """
            import threading
            from digest.gather.process_pool import can_fork_safely, map_in_processes
            from tests.gather.test_gather_processes import square

            assert can_fork_safely()
            release = threading.Event()
            other = threading.Thread(target=release.wait)
            other.start()
            print(can_fork_safely(), map_in_processes(square, list(range(50)), workers=2))
            release.set()
            other.join()
            """
        )
        assert out.split() == ["False", "None"]
