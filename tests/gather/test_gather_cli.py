"""`digest gather` as a person runs it, and `digest build` of an issue whose week comes from feeds."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest.pipeline import build_issue
from digest.settings import STATE_DIR_ENV
from tests.conftest import NEWSLETTER_TOML
from tests.feed_server import FeedServer
from tests.gather.test_gather_feeds import FEEDS

STORY_KEYS = {
    "id",
    "title",
    "url",
    "summary",
    "teaser",
    "image",
    "kind",
    "sponsor",
    "published",
    "source",
    "section",
    "author",
}


def digest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != STATE_DIR_ENV}
    env["COLUMNS"] = "160"  # a wide terminal, so table cells are not folded
    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Meridian's project folder: digest.toml with three feeds, and the issue of 8 January."""
    shutil.copytree(FEEDS, tmp_path / "feeds")
    (tmp_path / "digest.toml").write_text(
        NEWSLETTER_TOML
        + 'timezone = "America/New_York"\n'
        + """
[[sources]]
feed = "feeds/meridian-world.rss"
name = "Meridian World"
sponsored_if_category = "Sponsored"

[[sources]]
feed = "feeds/youtube-channel.xml"
name = "Meridian on YouTube"

[[sources]]
feed = "feeds/harbour-gazette.atom"
name = "Harbour Gazette"
""",
        encoding="utf-8",
    )
    issue = tmp_path / "2025-01-08"
    issue.mkdir()
    (issue / "issue.toml").write_text("[issue]\ndate = 2025-01-08\n", encoding="utf-8")
    return tmp_path


def test_json_from_the_issue_config(project: Path):
    result = digest("gather", "--config", "2025-01-08/issue.toml", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    stories = json.loads(result.stdout)
    assert all(set(story) == STORY_KEYS for story in stories)
    by_id = {s["id"]: s for s in stories}
    assert len(by_id) == len(stories) == 9  # 5 + 2 + 3, less the syndicated Kremlin duplicate
    lead = by_id["kremlin-recruits-central-asia"]
    assert lead["published"] == "2025-01-07T11:00:00-05:00"
    assert lead["image"] == {
        "url": "https://cdn.meridian-media.example/2025/01/kremlin-recruits-1280.jpg",
        "alt": "Recruits queue outside an enlistment centre in Moscow",
        "credit": "Yuri Kadobnov / AFP via Getty Images",
    }
    assert (lead["kind"], lead["source"], lead["section"], lead["author"]) == (
        "article",
        "Meridian World",
        "World",
        "Anna Petrova",
    )
    assert by_id["northwind-small-exporters"]["kind"] == "sponsored"
    assert by_id["northwind-small-exporters"]["sponsor"] == "Northwind Bank"
    assert by_id["ces-2025-the-ai-gadgets-nobody-asked-for"]["kind"] == "video"
    assert by_id["noticeboard-style"]["image"] is None


def test_first_seen_state_lives_next_to_digest_toml(project: Path):
    result = digest("gather", "--config", "2025-01-08", "feeds/field-notes.json", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: feeds/field-notes.json: 1 entries have no date; each is dated by when gather first saw it"
    ]
    assert (project / ".digest" / "first-seen.json").is_file()  # shared by every week's issue


def test_sources_as_arguments_with_since_and_until(project: Path):
    result = digest(
        "gather",
        "feeds/field-notes.json",
        "Meridian World",  # a configured source, by name
        "--since",
        "2025-01-06",
        "--until",
        "2025-01-06",
        "--json",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    stories = json.loads(result.stdout)
    # Only Monday 6 January, New York time (digest.toml's zone).
    assert sorted(s["id"] for s in stories) == [
        "europe-pushes-back-on-musk",
        "northwind-small-exporters",
        "short-note-without-a-title-the-kingfisher-is-back-on-the",
    ]


def test_a_failed_source_is_one_line_and_exit_code_1(project: Path):
    result = digest(
        "gather",
        "--config",
        "2025-01-08",
        "feeds/youtube-channel.xml",
        "feeds/missing.rss",
        "--json",
        cwd=project,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["error: feeds/missing.rss: file not found"]
    assert len(json.loads(result.stdout)) == 2  # the other source still gathered


def test_readable_tables(project: Path):
    (project / "feeds" / "markup.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link>'
        "<item><title>[bold red]Not markup[/bold red]</title><link>https://t.example/a-story</link>"
        "<pubDate>Mon, 06 Jan 2025 12:00:00 GMT</pubDate></item></channel></rss>",
        encoding="utf-8",
    )
    result = digest("gather", "--config", "2025-01-08", "Harbour Gazette", "feeds/markup.rss", cwd=project)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2025-01-01 00:00 to 2025-01-08 00:00 (America/New_York): 4 stories" in out
    assert "Ferry fares rise & timetables shrink" in out
    assert "[bold red]Not markup[/bold red]" in out  # feed text is never rich markup
    assert "Harbour Gazette" in out and "1 duplicate" not in out


def test_no_sources_is_a_user_error(tmp_path: Path):
    result = digest("gather", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: no sources: give SOURCE arguments or list [[sources]] in digest.toml or issue.toml"
    )


def test_an_inverted_window_is_a_user_error(project: Path):
    result = digest("gather", "--since", "2025-01-08", "--until", "2025-01-01", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --since/--until: a window must start before it ends"


def test_an_unreadable_date_is_one_line(project: Path):
    result = digest("gather", "--since", "last tuesday", cwd=project)
    assert result.returncode == 2
    assert result.stderr == (
        "error: --since: 'last tuesday' is not a date or date-time; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM\n"
    )


def test_urls_over_http(server: FeedServer, tmp_path: Path):
    result = digest(
        "gather",
        server.url("/meridian.rss"),
        server.url("/gone.rss"),
        "--since",
        "2025-01-01T00:00:00-05:00",
        "--until",
        "2025-01-08T00:00:00-05:00",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: {server.url('/gone.rss')}: server answered 404 Not Found"]
    assert len(json.loads(result.stdout)) == 5
    assert list((tmp_path / ".digest" / "http-cache").iterdir())  # ./.digest when there is no config


class TestBuildFromFeeds:
    def test_the_issue_is_built_from_the_gathered_week(self, project: Path, tmp_path: Path):
        built = build_issue(project / "2025-01-08", tmp_path / "out")
        titles = [s.title for s in built.issue.stories]
        assert len(titles) == 9
        assert built.issue.lead.title.startswith("Kremlin recruits soldiers across Central Asia")
        html = built.files["html"].read_text(encoding="utf-8")
        assert "Yuri Kadobnov / AFP via Getty Images" in html
        assert "Northwind Bank" in html

    def test_own_stories_join_the_feeds_and_win_duplicates(self, project: Path, tmp_path: Path):
        from tests.conftest import write_story

        write_story(
            project / "2025-01-08" / "stories",
            "kremlin-exclusive",
            """
            title: "Editor's cut: Central Asia says no"
            url: "https://www.meridian-media.example/world/2025/01/07/kremlin-recruits-central-asia"
            published: 2025-01-07T12:00:00-05:00
            priority: 10
            """,
        )
        built = build_issue(project / "2025-01-08", tmp_path / "out")
        ids = [s.id for s in built.issue.stories]
        assert built.issue.lead.id == "kremlin-exclusive"
        assert "kremlin-recruits-central-asia" not in ids  # the feed's copy gave way
        assert len(ids) == 9

    def test_a_failed_source_is_a_warning_and_the_build_goes_on(self, project: Path, tmp_path: Path, caplog):
        issue = project / "2025-01-08" / "issue.toml"
        issue.write_text(
            issue.read_text() + '\n[[sources]]\nfeed = "../feeds/meridian-world.rss"\n'
            '[[sources]]\nfeed = "../feeds/nowhere.rss"\nname = "Nowhere"\n',
            encoding="utf-8",
        )
        with caplog.at_level(logging.WARNING, logger="digest.gather"):
            built = build_issue(project / "2025-01-08", tmp_path / "out")
        assert len(built.issue.stories) == 5  # issue.toml's sources replace digest.toml's
        assert caplog.messages == ["warning: Nowhere: not gathered (file not found)"]

    def test_the_command_line(self, project: Path, tmp_path: Path):
        result = digest("build", "2025-01-08", "--out", str(tmp_path / "out"), cwd=project)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "out" / "index.html").is_file()
        assert "8 more from Test Press" in result.stdout
