"""The web archive publishes exactly the issues that went out, from the copy that was sent (issue 12: 17).

A week gathered from feeds (no issue folder) and sent by `digest run --send` is in `digest archive`;
a draft never is; the page is what the subscriber got, without their links, however the week's
files change afterwards; and the "view in browser" link of the received message answers 200 on
`digest serve` over real HTTP.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from digest.cli import main
from digest.render import RecipientLinks
from digest.runs.archive import load_archived_issue
from digest.store import IssueHistory, IssueState, open_store
from digest.store.subscribers import add_subscriber
from digest.web.archive import archive_page
from tests.conftest import SAMPLE_WEEKS, TEST_SECRET
from tests.schedule_fixtures import DELIVERY, meridian_feed_project, subscribe, tidewater_project
from tests.smtp_server import Faults, SmtpTestServer

VIEW_ONLINE = re.compile(r'href="(https://newsletters\.meridian-media\.example/daily/issues/[^"]+)"')


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture
def sent_week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A feed-only project whose week of 2025-01-08 went out to one reader over real SMTP, with
    two drafts beside it: a week built by `digest run` without --send, and an issue folder."""
    monkeypatch.chdir(tmp_path)
    config = meridian_feed_project(tmp_path / "meridian", min_stories=1, extra=DELIVERY)
    project = config.parent
    store = open_store(project / "digest.db")
    add_subscriber(store, "ana@example.com")  # no name: the copy without a greeting, as archived
    add_subscriber(store, "bo@example.com", "Bo Lima")  # greeted "Hi Bo,": never in the public copy
    store.close()
    with SmtpTestServer() as server:
        sent = invoke(
            "run",
            "--config",
            config,
            "--date",
            "2025-01-08",
            "--send",
            env=server.environ(DIGEST_SECRET=TEST_SECRET),
        )
    assert sent.exit_code == 0, sent.output
    received = next(r for r in server.received if r.rcpt_tos == ["ana@example.com"])
    named = next(r for r in server.received if r.rcpt_tos == ["bo@example.com"])
    assert "Hi Bo" in named.message().get_body(("plain",)).get_content()
    draft = invoke("run", "--config", config, "--date", "2025-01-15")
    assert draft.exit_code == 0 and "2025-W03: built" in draft.output, draft.output
    folder = project / "2025-01-22"
    shutil.copytree(SAMPLE_WEEKS["meridian"] / "stories", folder / "stories")
    (folder / "issue.toml").write_text('[issue]\ndate = 2025-01-22\nsubject = "A draft nobody got"\n')
    return project, received.message()


def test_a_feed_week_that_went_out_is_archived_and_drafts_are_not(sent_week, tmp_path: Path):
    project, _ = sent_week
    result = invoke("archive", project, "--out", tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert "Archived 1 issue(s)" in result.output
    assert "issues/2025-W02/index.html" in result.output
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    feed = (tmp_path / "site" / "feed.xml").read_text(encoding="utf-8")
    assert lxml_html.document_fromstring(index).xpath("//ol[@class='issues']//a/@href") == [
        "issues/2025-W02/index.html"
    ]
    for draft in ("2025-W03", "2025-W04", "A draft nobody got"):
        assert draft not in index and draft not in feed, draft
    assert not (tmp_path / "site" / "issues" / "2025-W03").exists()
    assert not (tmp_path / "site" / "issues" / "2025-W04").exists()


def test_the_page_is_what_the_subscriber_got_and_stays_so(sent_week, tmp_path: Path):
    project, message = sent_week
    got = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    issue = load_archived_issue(project / "built", "2025-W02")
    links = RecipientLinks.for_archive(issue)
    token_link = re.search(re.escape(links.unsubscribe) + r"\?token=[^\"]+", got)
    assert token_link
    own_page = re.search(
        re.escape(links.preferences) + r"\?token=[^\"]+", got
    )  # issue 14: every email has it
    assert own_page
    without_reader = got.replace(token_link.group(), links.unsubscribe).replace(
        own_page.group(), links.preferences
    )

    # The week's files change after the send: the feed's stories and the theme.
    feed = project / "feeds" / "meridian-world.rss"
    feed.write_text(feed.read_text(encoding="utf-8").replace("<title>", "<title>CHANGED "), encoding="utf-8")
    theme = project / "theme"
    theme.mkdir()
    (theme / "theme.toml").write_text('[colors]\nlink = "#ff00ff"\n', encoding="utf-8")
    config = project / "digest.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('timezone = "America/New_York"', 'timezone = "America/New_York"\ntheme = "theme"')
    )

    assert invoke("archive", project, "--out", tmp_path / "site").exit_code == 0
    page = (tmp_path / "site" / "issues" / "2025-W02" / "index.html").read_text(encoding="utf-8")
    # The message's HTML, with the reader's links taken out as the archive takes them out.
    assert page == archive_page(
        without_reader, issue, index_href="../../index.html", feed_href="../../feed.xml"
    )
    assert "CHANGED" not in page and "#ff00ff" not in page
    assert "token=" not in page and links.unsubscribe not in page and links.view_online not in page
    assert links.preferences not in page
    assert "Hi " not in lxml_html.document_fromstring(page).text_content()  # no reader's greeting
    for story in issue.stories:
        assert story.title in lxml_html.document_fromstring(page).text_content()


def _serve(project: Path, *extra: object) -> tuple[subprocess.Popen[str], str]:
    digest = Path(sys.executable).parent / "digest"
    env = {**os.environ, "DIGEST_SECRET": TEST_SECRET}
    server = subprocess.Popen(
        [str(digest), "serve", "--port", "0", *map(str, extra)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    match = re.search(r"on (http://127\.0\.0\.1:\d+/daily/) ", line)
    assert match, line
    return server, match.group(1)


def _get(url: str) -> httpx.Response:
    deadline = time.monotonic() + 10
    with httpx.Client(timeout=5, follow_redirects=True) as client:
        while True:
            try:
                return client.get(url)
            except httpx.TransportError:
                assert time.monotonic() < deadline, "digest serve did not start"
                time.sleep(0.05)


@pytest.mark.parametrize("static", [False, True], ids=["live", "static"])
def test_the_view_in_browser_link_of_the_message_answers_on_digest_serve(sent_week, tmp_path: Path, static):
    project, message = sent_week
    html = message.get_body(("html",)).get_content()
    view_online = VIEW_ONLINE.search(html)
    assert view_online, "the message has a view-in-browser link"
    extra: tuple[object, ...] = ()
    if static:
        assert invoke("archive", project, "--out", tmp_path / "site").exit_code == 0
        extra = ("--archive", tmp_path / "site")
    server, base = _serve(project, *extra)
    try:
        url = view_online.group(1).replace("https://newsletters.meridian-media.example/daily/", base)
        page = _get(url)
        assert page.status_code == 200, url
        assert message["Subject"] in page.text
        index = _get(base)
        assert (
            index.status_code == 200 and "2025-W02" in index.text and "A draft nobody got" not in index.text
        )
        assert _get(base + "issues/2025-W03/").status_code == 404  # a draft
        assert _get(base + "feed.xml").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_digest_send_of_an_issue_folder_keeps_the_copy_it_sent(send_project: Path, tmp_path: Path):
    os.chdir(send_project.parent)
    assert invoke("subscribers", "add", "bo@example.com").exit_code == 0
    with SmtpTestServer() as server:
        env = server.environ(DIGEST_SECRET=TEST_SECRET)
        assert invoke("send", send_project, env=env).exit_code == 0
        story = send_project / "stories" / "kremlin-recruits-central-asia.md"
        story.write_text(story.read_text(encoding="utf-8").replace("Kremlin", "CHANGED"), encoding="utf-8")
        again = invoke("send", send_project, env=env)  # nobody new: the copy stays what Bo got
    assert again.exit_code == 0, again.output
    (received,) = server.received
    result = invoke("archive", send_project.parent, "--out", tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert "Archived 1 issue(s)" in result.output
    page = (tmp_path / "site" / "issues" / "2025-W02" / "index.html").read_text(encoding="utf-8")
    assert "CHANGED" not in page and "The Kremlin goes recruiting next door" in page
    kept = (tmp_path / "built" / "2025-W02" / "index.html").read_text(encoding="utf-8")
    got = received.message().get_body(("html",)).get_content().replace("\r\n", "\n")
    assert re.sub(r"\?token=[^\"]+", "", got) == kept
    # The run history knows the week went out, as it knows a run's: a later run resumes, never rebuilds.
    store = open_store(tmp_path / "subscribers.db")
    record = IssueHistory(store).get("2025-W02")
    store.close()
    assert record is not None and record.state is IssueState.SENT and record.detail == "sent to 1 subscriber"


def test_a_run_after_a_digest_send_that_stopped_resumes_it_with_the_copy_it_kept(tmp_path: Path):
    """`digest send` of a week's folder reached one reader and left another deferred; the week's
    files change; `digest run --send` for that week sends the rest the copy the first reader got
    (it does not rebuild over it), and a run without --send says the send is unfinished."""
    config = tidewater_project(tmp_path / "tidewater")
    week = config.parent / "2025-03-14"
    bo, cy = subscribe(config, 2)
    deferred = Faults(refuse={cy: "451 4.2.1 mailbox busy, try later"})
    with SmtpTestServer(deferred) as server:
        env = server.environ(DIGEST_SECRET=TEST_SECRET)
        first = invoke("send", week, env=env)
        assert first.exit_code == 5, first.output
        story = week / "stories" / "seagrass-returns.md"
        story.write_text(story.read_text(encoding="utf-8").replace("Seagrass", "CHANGED"), encoding="utf-8")
        looked = invoke("run", "--config", config, "--date", "2025-03-14", env=env)
        assert looked.exit_code == 5, looked.output
        assert "sending stopped part-way; --send resumes it" in looked.output
        deferred.refuse.clear()
        resumed = invoke("run", "--send", "--config", config, "--date", "2025-03-14", env=env)
        assert resumed.exit_code == 0, resumed.output
        assert "resuming the send" in resumed.output
    assert server.copies == {bo: 1, cy: 1}
    bodies = {r.rcpt_tos[0]: r.message().get_body(("html",)).get_content() for r in server.received}
    assert "CHANGED" not in bodies[cy] and "Seagrass is back" in bodies[cy]
