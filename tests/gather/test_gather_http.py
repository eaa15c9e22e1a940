"""Fetching over real HTTP from a server on 127.0.0.1: caching, timeouts, the cap, retries."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from digest import __version__
from digest.gather import GatherOptions, SourceReport, gather_week
from digest.model import HttpPolicy, Source, SourceKind
from tests.feed_server import ETAG, LAST_MODIFIED, FeedServer
from tests.gather.test_gather_feeds import NOW, WEEK

FAST = HttpPolicy(timeout=0.3, retries=2, backoff=0.01)


def remote(server: FeedServer, path: str) -> Source:
    return Source(kind=SourceKind.FEED, location=server.url(path), name=path.strip("/"))


def gather_one(
    server: FeedServer, path: str, *, policy: HttpPolicy = FAST, state_dir: Path | None = None
) -> tuple[SourceReport, list]:
    options = GatherOptions(http=policy, state_dir=state_dir)
    result = gather_week([remote(server, path)], WEEK, options=options, now=NOW)
    (report,) = result.report
    return report, list(result.stories)


class TestPoliteFetching:
    def test_etag_turns_the_second_fetch_into_a_304(self, server: FeedServer, tmp_path: Path):
        first, stories = gather_one(server, "/meridian.rss", state_dir=tmp_path)
        before = len(server.requests)
        second, again = gather_one(server, "/meridian.rss", state_dir=tmp_path)
        assert (first.fetched, second.fetched) == ("200", "304 (cached)")
        assert [s.id for s in again] == [s.id for s in stories] and len(stories) == 5
        (request,) = server.requests[before:]
        assert request.headers["if-none-match"] == ETAG
        assert list((tmp_path / "http-cache").iterdir())  # the cache lives in the state folder

    def test_last_modified_alone_also_revalidates(self, server: FeedServer, tmp_path: Path):
        gather_one(server, "/youtube.xml", state_dir=tmp_path)
        report, stories = gather_one(server, "/youtube.xml", state_dir=tmp_path)
        assert report.fetched == "304 (cached)" and len(stories) == 2
        assert server.requests[-1].headers["if-modified-since"] == LAST_MODIFIED

    def test_without_a_state_folder_nothing_is_cached(self, server: FeedServer):
        gather_one(server, "/meridian.rss")
        report, _ = gather_one(server, "/meridian.rss")
        assert report.fetched == "200"
        assert "if-none-match" not in server.requests[-1].headers

    def test_user_agent_names_digest_and_its_version(self, server: FeedServer):
        gather_one(server, "/meridian.rss")
        assert server.requests[-1].headers["user-agent"].startswith(f"digest/{__version__} ")

    def test_redirect_followed(self, server: FeedServer):
        report, stories = gather_one(server, "/old-address.rss")
        assert report.fetched == "200" and len(stories) == 5

    def test_charset_from_the_content_type_header(self, server: FeedServer):
        report, stories = gather_one(server, "/gangkou.rss")
        assert not report.failed
        assert {s.title for s in stories} == {"上海港集装箱吞吐量再创新高", "宁波舟山港开通新航线"}

    def test_json_feed_recognised_by_content_type(self, server: FeedServer):
        report, stories = gather_one(server, "/feed.json")
        assert report.format == "jsonfeed" and len(stories) == 4


class TestHostileServers:
    def test_slow_server_times_out(self, server: FeedServer):
        started = time.monotonic()
        report, _ = gather_one(server, "/slow.rss", policy=HttpPolicy(timeout=0.3, retries=0))
        assert report.error == "timed out: no answer within 0.3 s"
        assert time.monotonic() - started < 2

    def test_timeouts_are_retried(self, server: FeedServer):
        before = server.hits["/slow.rss"]
        report, _ = gather_one(server, "/slow.rss", policy=HttpPolicy(timeout=0.2, retries=1, backoff=0.01))
        assert report.error == "timed out: no answer within 0.2 s (2 attempts)"
        assert server.hits["/slow.rss"] - before == 2

    def test_streamed_response_stops_at_the_default_10_mb_cap(self, server: FeedServer):
        report, _ = gather_one(server, "/huge.rss", policy=HttpPolicy(timeout=5, retries=0))
        assert report.error == "response is larger than the 10 MB cap"

    def test_declared_length_over_the_cap_is_refused_before_reading(self, server: FeedServer):
        report, _ = gather_one(server, "/huge-declared.rss", policy=HttpPolicy(timeout=5, retries=0))
        assert report.error == "response is 50 MB, over the 10 MB cap"

    def test_decompressed_bytes_count_against_the_cap(self, server: FeedServer):
        report, _ = gather_one(server, "/bomb.rss", policy=HttpPolicy(timeout=5, retries=0))
        assert report.error == "response is larger than the 10 MB cap"

    def test_server_error_is_retried_then_reported(self, server: FeedServer):
        before = server.hits["/broken.rss"]
        report, _ = gather_one(server, "/broken.rss")
        assert report.error == "server answered 500 Internal Server Error (3 attempts)"
        assert server.hits["/broken.rss"] - before == 3

    def test_a_passing_503_is_survived(self, server: FeedServer):
        report, stories = gather_one(server, "/flaky.rss")
        assert not report.failed and len(stories) == 5
        assert server.hits["/flaky.rss"] == 2

    def test_not_found_is_not_retried(self, server: FeedServer):
        report, _ = gather_one(server, "/gone.rss")
        assert report.error == "server answered 404 Not Found"
        assert server.hits["/gone.rss"] == 1

    def test_nobody_listening(self):
        with socket.socket() as probe:  # a free port, closed again: nothing listens there
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        source = Source(kind=SourceKind.FEED, location=f"http://127.0.0.1:{port}/feed.rss")
        options = GatherOptions(http=HttpPolicy(timeout=0.5, retries=1, backoff=0.01))
        (report,) = gather_week([source], WEEK, options=options, now=NOW).report
        assert report.error.startswith("cannot connect: ") and report.error.endswith("(2 attempts)")

    def test_the_good_feeds_still_gather(self, server: FeedServer):
        sources = [remote(server, p) for p in ("/broken.rss", "/meridian.rss", "/slow.rss", "/feed.json")]
        options = GatherOptions(http=HttpPolicy(timeout=0.3, retries=0))
        result = gather_week(sources, WEEK, options=options, now=NOW)
        assert [r.source for r in result.failed] == ["broken.rss", "slow.rss"]
        assert len(result.stories) == 9
