"""`digest add URL`: a page served over real HTTP on loopback becomes a story file in the week's
folder, read once; refused addresses, unreadable pages and a second add are one line each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.gather import public_hosts, read_story_file
from digest.gather.public_hosts import PrivateAddressError, check_public_host
from tests.page_server import PageServer

NEWS_URL = "https://www.tidewater-courier.example/city/2026/nov/24/harbour-ferry-deal-agreed"


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    with PageServer() as running:
        yield running


def add(folder: Path, *args: str):
    return CliRunner().invoke(main, ["add", *args, "--week", str(folder)])


def added_files(folder: Path) -> list[Path]:
    return sorted((folder / "stories").glob("*.md"))


def test_a_news_article_becomes_a_story_file_read_once(issue_dir: Path, pages: PageServer):
    before = set(added_files(issue_dir))
    result = add(
        issue_dir, pages.url("/news-article?utm_source=x"), "--allow-private", "--note", "for the lead?"
    )
    assert result.exit_code == 0, result.output
    [path] = set(added_files(issue_dir)) - before
    assert path.name == "harbour-ferry-deal-agreed.md"
    assert (
        result.stdout == f"Added 'Harbour ferry deal agreed after late-night vote' ({NEWS_URL}) to {path}\n"
    )
    story = read_story_file(path)
    assert story.title == "Harbour ferry deal agreed after late-night vote"
    assert story.url == NEWS_URL  # the canonical link, not the address it was fetched from
    assert story.summary == (
        "<p>Councillors backed the new ferry contract 7-2 on Tuesday night, ending a two-year row over "
        "fares &amp; timetables.</p>"
    )
    assert story.image is not None and story.image.alt == "The Rosalind ferry leaving the south pier at dusk"
    assert (
        story.image.url
        == "https://i.tidewater-courier.example/img/media/ferry/master/1200.jpg?width=1200&quality=85"
    )
    assert story.published is not None and story.published.isoformat() == "2026-11-24T21:47:05+00:00"
    assert (story.author, story.section, story.note) == ("Ada Reyes", "City", "for the lead?")
    assert story.added is not None and story.added_by
    assert pages.hits["/news-article?utm_source=x"] == 1
    # The week builds from the file alone: nothing is fetched at render time.
    build = CliRunner().invoke(main, ["build", str(issue_dir), "--out", str(issue_dir.parent / "out")])
    assert build.exit_code in (0, 1), build.output
    assert pages.hits["/news-article?utm_source=x"] == 1

    again = add(issue_dir, pages.url("/news-article"), "--allow-private")
    assert again.exit_code == 2
    assert again.stderr == f"error: {NEWS_URL} is already in this week: {path}\n"
    assert set(added_files(issue_dir)) - before == {path}


def test_a_blog_post_with_a_twitter_card_and_microdata(issue_dir: Path, pages: PageServer):
    result = add(issue_dir, pages.url("/blog-post"), "--allow-private")
    assert result.exit_code == 0, result.output
    story = read_story_file(issue_dir / "stories" / "tide-gauges-moved.md")
    assert story.url == pages.url("/2026/11/tide-gauges-moved/")  # a relative canonical made absolute
    assert story.title == "Why our tide gauges moved"
    assert story.summary == "<p>Three gauges, one storm, and a *new* baseline: what changed &amp; why.</p>"
    assert story.image is not None and story.image.alt == "A tide gauge bolted to a harbour wall"
    assert story.published is not None and story.published.isoformat() == "2026-11-23T08:00:00+00:00"
    assert story.author == "Sam Okafor"


def test_a_page_with_only_a_title_and_a_hostile_description(issue_dir: Path, pages: PageServer):
    result = add(issue_dir, pages.url("/plain"), "--allow-private")
    assert result.exit_code == 0, result.output
    [path] = [p for p in added_files(issue_dir) if "road-closures" in p.name]
    story = read_story_file(path)
    assert story.title == "Notice of road closures on the quay"
    assert story.url == pages.url("/plain")
    assert story.summary == "<p>The quay road closes on 2 December.</p>"
    assert "script" not in path.read_text(encoding="utf-8")


def test_loopback_is_refused_unless_allowed_and_the_editor_may_still_add_it(
    issue_dir: Path, pages: PageServer
):
    hits = pages.hits["/news-article"]
    refused = add(issue_dir, pages.url("/news-article"))
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.output
    assert "127.0.0.1 is a loopback address" in refused.stderr
    assert refused.stderr.rstrip().endswith("give the story a title with --title")
    assert pages.hits["/news-article"] == hits  # refused before any request was sent

    before = set(added_files(issue_dir))
    titled = add(issue_dir, pages.url("/news-article"), "--title", "Ferry deal (from the desk)")
    assert titled.exit_code == 0, titled.output
    assert "could not read the page (refused: 127.0.0.1 is a loopback address" in titled.stderr
    [path] = set(added_files(issue_dir)) - before
    story = read_story_file(path)
    assert (story.title, story.url, story.summary) == (
        "Ferry deal (from the desk)",
        pages.url("/news-article"),
        "",
    )
    assert pages.hits["/news-article"] == hits


def test_desk_allow_private_urls_in_the_settings(issue_dir: Path, pages: PageServer):
    (issue_dir.parent / "digest.toml").write_text("[desk]\nallow_private_urls = true\n", encoding="utf-8")
    assert add(issue_dir, pages.url("/blog-post")).exit_code == 0


def test_a_redirect_hop_to_a_private_address_is_refused(
    issue_dir: Path, pages: PageServer, monkeypatch: pytest.MonkeyPatch
):
    # 127.0.0.1 stands in for a public host here; "localhost", where it redirects, stays loopback.
    real = public_hosts._addresses
    monkeypatch.setattr(
        public_hosts,
        "_addresses",
        lambda host, port: ["93.184.215.14"] if host == "127.0.0.1" else real(host, port),
    )
    monkeypatch.setattr(public_hosts, "_refused_peer", lambda address: "")  # the connection's check too
    hits = pages.hits["/news-article"]
    result = add(issue_dir, pages.url("/to/localhost"))
    assert result.exit_code == 2
    assert "refused: localhost (127.0.0.1) is a loopback address" in result.stderr
    assert pages.hits["/to/localhost"] == 1 and pages.hits["/news-article"] == hits


def test_a_dns_answer_that_changes_after_the_check_is_refused_at_the_connection(
    issue_dir: Path, pages: PageServer, monkeypatch: pytest.MonkeyPatch
):
    """DNS rebinding: the check's lookup says public, the connection's reaches loopback. The
    address the socket actually reached is checked before the request is sent."""
    real = public_hosts._addresses
    monkeypatch.setattr(
        public_hosts,
        "_addresses",
        lambda host, port: ["93.184.215.14"] if host == "127.0.0.1" else real(host, port),
    )
    hits = pages.hits["/news-article"]
    result = add(issue_dir, pages.url("/news-article"))
    assert result.exit_code == 2, result.output
    assert "refused: 127.0.0.1 connected to 127.0.0.1, a loopback address" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert pages.hits["/news-article"] == hits  # not a byte of the request was sent


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/gone", "server answered 404 Not Found"),
        ("/report.pdf", "not a web page (content type application/pdf)"),
        ("/huge", "response is larger than the 10 MB cap"),
    ],
)
def test_a_page_that_cannot_be_read(issue_dir: Path, pages: PageServer, path: str, reason: str):
    before = added_files(issue_dir)
    started = time.monotonic()
    result = add(issue_dir, pages.url(path), "--allow-private")
    assert time.monotonic() - started < 10
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: cannot read {pages.url(path)}: {reason}; give the story a title with --title\n"
    )
    assert added_files(issue_dir) == before
    titled = add(issue_dir, pages.url(path), "--allow-private", "--title", f"Kept anyway {path}")
    assert titled.exit_code == 0 and f"could not read the page ({reason})" in titled.stderr


def test_not_an_http_url(issue_dir: Path):
    result = add(issue_dir, "file:///etc/passwd")
    assert (result.exit_code, result.stderr) == (2, "error: 'file:///etc/passwd' is not an http(s) URL\n")


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "reserved"),
        ("100.64.0.1", "reserved"),
    ],
)
def test_every_kind_of_non_public_address_is_refused(host: str, kind: str):
    with pytest.raises(PrivateAddressError, match=f"is a {kind} address"):
        check_public_host(host)
