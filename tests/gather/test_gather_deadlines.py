"""Unattended runs are bounded: one deadline per fetch (headers included), one for the whole of gather,
and local feed paths that are no regular file (a FIFO, /dev/zero, a folder) refused at once.

The hostile servers dribble one byte every 0.2 s, so a per-read timeout never fires; each gives up by
itself after 20 s, and every test checks the clock well below that.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.gather import GatherOptions, gather_week
from digest.model import HttpPolicy, Source, SourceKind
from tests.feed_server import FeedServer
from tests.gather.test_gather_feeds import FEEDS, NOW, WEEK
from tests.gather.test_gather_http import remote

MARGIN = 1.5
"""Seconds allowed past a deadline: thread start-up and a loaded 2-core machine."""


def local(path: Path | str, name: str = "") -> Source:
    return Source(kind=SourceKind.FEED, location=str(path), name=name or str(path))


class TestOneDeadlinePerFetch:
    @pytest.mark.parametrize("path", ["/slow-headers.rss", "/slow-body.rss"])
    def test_a_dribbling_server_is_cut_off_at_the_deadline(self, server: FeedServer, path: str):
        policy = HttpPolicy(timeout=1.0, total_timeout=1.5, retries=0)
        started = time.monotonic()
        result = gather_week([remote(server, path)], WEEK, options=GatherOptions(http=policy), now=NOW)
        elapsed = time.monotonic() - started
        (report,) = result.report
        assert report.error == "timed out: the whole fetch took over 1.5 s"
        assert elapsed < 1.5 + MARGIN

    def test_retries_share_the_one_deadline(self, server: FeedServer):
        """Ten attempts of 0.3 s each would be 3 s and more; the fetch as a whole has 1 s."""
        before = server.hits["/slow.rss"]
        policy = HttpPolicy(timeout=0.3, total_timeout=1.0, retries=9, backoff=0.01)
        started = time.monotonic()
        (report,) = gather_week(
            [remote(server, "/slow.rss")], WEEK, options=GatherOptions(http=policy)
        ).report
        assert time.monotonic() - started < 1.0 + MARGIN
        assert report.error.startswith("timed out: ")
        assert server.hits["/slow.rss"] - before < 10


class TestOneDeadlineForGather:
    def test_slow_sources_are_reported_and_the_others_used(self, server: FeedServer):
        sources = [
            remote(server, "/slow-headers.rss"),
            remote(server, "/meridian.rss"),
            remote(server, "/slow-body.rss"),
            local(FEEDS / "field-notes.json", "field notes"),
        ]
        # Each fetch alone could take 60 s; gather as a whole has 2.
        options = GatherOptions(http=HttpPolicy(timeout=5, total_timeout=60, retries=0), deadline=2.0)
        started = time.monotonic()
        result = gather_week(sources, WEEK, options=options, now=NOW)
        assert time.monotonic() - started < 2.0 + MARGIN
        assert [r.source for r in result.failed] == ["slow-headers.rss", "slow-body.rss"]
        assert {r.error for r in result.failed} == {
            "timed out: gather's 2 s deadline passed before it was read"
        }
        assert len(result.stories) == 9  # Meridian's 5 and Field Notes' 4
        lines = result.problems()
        assert lines[:2] == [
            "error: slow-headers.rss: timed out: gather's 2 s deadline passed before it was read",
            "error: slow-body.rss: timed out: gather's 2 s deadline passed before it was read",
        ]

    def test_a_process_ends_when_gather_returns(self, server: FeedServer):
        """A source still being read after the deadline must not hold the process open at exit."""
        script = (
            "import sys\n"
            "from digest.gather import GatherOptions, gather_week\n"
            "from digest.model import HttpPolicy, Source, SourceKind\n"
            "from tests.gather.test_gather_feeds import NOW, WEEK\n"
            "source = Source(kind=SourceKind.FEED, location=sys.argv[1], name='slow')\n"
            "options = GatherOptions(http=HttpPolicy(timeout=5, total_timeout=60, retries=0), deadline=1.0)\n"
            "print(gather_week([source], WEEK, options=options, now=NOW).report[0].error)\n"
        )
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", script, server.url("/slow-headers.rss")],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=Path(__file__).parents[2],
        )
        assert done.stdout == "timed out: gather's 1 s deadline passed before it was read\n", done.stderr
        assert time.monotonic() - started < 1.0 + 5  # the interpreter's own start-up included

    def test_the_default_deadline_is_two_minutes(self):
        assert GatherOptions().deadline == 120.0


def _gather_cli(path: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`digest gather PATH` in a process of at most 1 GB, given 20 s: a path that blocks or is read
    without end makes the test fail, never the machine."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "digest", "gather", path],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=tmp_path,
        preexec_fn=limit_memory,
    )


class TestLocalFeedPaths:
    def test_a_fifo_is_refused_without_blocking(self, tmp_path: Path):
        fifo = tmp_path / "feed.rss"
        os.mkfifo(fifo)
        done = _gather_cli(str(fifo), tmp_path)
        assert done.returncode == 1
        assert done.stderr.splitlines() == [f"error: {fifo}: not a regular file (a FIFO)"]

    def test_dev_zero_is_refused_without_reading_it(self, tmp_path: Path):
        done = _gather_cli("/dev/zero", tmp_path)
        assert done.returncode == 1
        assert done.stderr.splitlines() == ["error: /dev/zero: not a regular file (a character device)"]
