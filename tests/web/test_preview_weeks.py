"""The preview of a project whose weeks are gathered from feeds (no issue folders): every week the
project knows is listed with its state from the run history, and the story buttons work for
stories that came from a feed, as `digest compose`/`digest run` read the same choices."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from digest.pipeline import compose_folder
from digest.runs.run import run_issue
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.run_history import IssueHistory, IssueState
from digest.store.subscribers import add_subscriber
from digest.store.suppression import Evidence, record_hard_bounce, record_unsubscribe
from digest.web.preview import create_preview_app
from tests.schedule_fixtures import MERIDIAN_DATE, meridian_feed_project
from tests.web.servers import RunningServer

WEEK = MERIDIAN_DATE.isoformat()  # the folder `digest run` would read for that week: 2025-01-08


def get(server: RunningServer, path: str) -> httpx.Response:
    return httpx.get(server.url.rstrip("/") + path, timeout=10)


def post(server: RunningServer, path: str, data: dict) -> httpx.Response:
    return httpx.post(server.url.rstrip("/") + path, data=data, timeout=10)


def doc(response: httpx.Response):
    return lxml_html.document_fromstring(response.text)


@pytest.fixture
def feed_project(tmp_path: Path) -> Path:
    """The Meridian World feed project, with its week of 2025-01-08 built by `digest run`."""
    config = meridian_feed_project(tmp_path / "meridian")
    result = run_issue(load_project_config(config), MERIDIAN_DATE)
    assert result.exit_code == 0, result.line
    return config.parent


@pytest.fixture
def served(feed_project: Path):
    with RunningServer(create_preview_app(feed_project, watch=False)) as server:
        yield server


def stories(server: RunningServer) -> list[tuple[str, str]]:
    page = doc(get(server, f"/issues/{WEEK}/"))
    return [
        (li.get("data-story"), li.get("data-reason")) for li in page.xpath("//li[contains(@class, 'story')]")
    ]


def test_a_week_built_from_feeds_is_listed_with_its_state(served):
    listing = doc(get(served, "/"))
    row = listing.xpath(f"//tr[@data-key='{WEEK}']")
    assert row, "the week `digest run` built from feeds is in the list"
    assert row[0].get("data-state") == "built"
    text = row[0].text_content()
    assert "2025-01-08" in text and "built, " in text and "archived in" in text
    page = get(served, f"/issues/{WEEK}/")
    assert page.status_code == 200
    history = doc(page).xpath("string(//section[@id='history'])")
    assert "built" in history and "UTC" in history


def test_story_buttons_work_for_stories_from_a_feed_and_create_the_weeks_issue_toml(served, feed_project):
    listed = stories(served)
    assert len(listed) >= 4
    lead, other = listed[0][0], listed[2][0]
    folder = feed_project / WEEK
    assert not folder.exists()

    response = post(served, f"/issues/{WEEK}/choice", {"action": "pin", "story": other})
    assert response.status_code == 303, doc(response).xpath("string(//p[@class='message'])")
    issue = tomllib.loads((folder / "issue.toml").read_text(encoding="utf-8"))["issue"]
    assert issue == {"date": MERIDIAN_DATE, "lead": other}
    assert stories(served)[0] == (other, "pinned")
    # `digest compose` / `digest run` read the same folder for that week: the same lead.
    assert compose_folder(folder).issue.lead.id == other

    assert post(served, f"/issues/{WEEK}/choice", {"action": "exclude", "story": lead}).status_code == 303
    assert (lead, "excluded") in stories(served)
    moved = [story for story, reason in stories(served) if reason not in ("pinned", "excluded")][1]
    assert post(served, f"/issues/{WEEK}/choice", {"action": "up", "story": moved}).status_code == 303
    assert tomllib.loads((folder / "issue.toml").read_text())["issue"]["order"][0] == moved


def test_an_unknown_story_in_a_feed_week_is_refused_by_the_composers_rule(served, feed_project):
    response = post(served, f"/issues/{WEEK}/choice", {"action": "pin", "story": "no-such-story"})
    assert response.status_code == 400
    page = doc(response)
    assert "no story 'no-such-story' in this week's stories" in page.xpath("string(//p[@class='message'])")
    assert page.xpath("//a[text()='Back']/@href") == [f"/issues/{WEEK}/"], "Back goes to the week"
    assert not (feed_project / WEEK).exists(), "a refused choice creates nothing"


def _record(config: Path, issue_id: str, state: IssueState, detail: str, **times: dt.datetime) -> None:
    store = open_store(load_project_config(config).delivery.store_path)
    try:
        IssueHistory(store).record(issue_id, state, detail, **times)
    finally:
        store.close()


def _sent_with_feedback(config: Path, issue_id: str) -> None:
    """Three readers had the issue: one hard bounce came back for it, and one reader left after it."""
    store = open_store(load_project_config(config).delivery.store_path)
    try:
        for n in range(3):
            add_subscriber(store, f"reader{n}@example.com")
        with store.transaction() as db:
            db.execute(
                "INSERT INTO send_log (issue_id, subscriber_id, state, updated_at) "
                "SELECT ?, id, 'sent', '2024-12-11T07:00:00.000+00:00' FROM subscribers",
                (issue_id,),
            )
        record_hard_bounce(store, "reader0@example.com", Evidence("5.1.1 user unknown", issue_id=issue_id))
        record_unsubscribe(store, "reader1@example.com", Evidence("one-click"))
    finally:
        store.close()


def test_every_week_the_run_history_knows_is_listed_newest_first_with_its_state(tmp_path: Path):
    config = meridian_feed_project(tmp_path / "meridian")
    proofed = dt.datetime(2025, 1, 1, 11, 30, tzinfo=dt.UTC)
    _record(config, "2024-W50", IssueState.SENT, "sent to 412 subscribers (0 failed)", sent_at=proofed)
    _sent_with_feedback(config, "2024-W50")
    _record(config, "2024-W51", IssueState.REJECTED, "proof sent to 1 of 1 editors")
    _record(
        config,
        "2025-W01",
        IssueState.AWAITING_APPROVAL,
        "proof sent to 1 of 1 editors",
        proof_sent_at=proofed,
    )
    with RunningServer(create_preview_app(config.parent, watch=False)) as server:
        rows = doc(get(server, "/")).xpath("//tr[contains(@class, 'issue-row')]")
        listed = [(row.get("data-key"), row.get("data-state")) for row in rows]
        weeks = [week for week in listed if week[0] in ("2024-12-11", "2024-12-18", "2025-01-01")]
        assert weeks == [
            ("2025-01-01", "awaiting_approval"),
            ("2024-12-18", "rejected"),
            ("2024-12-11", "sent"),
        ]
        sent = next(row for row in rows if row.get("data-key") == "2024-12-11").text_content()
        assert "sent" in sent and "412 subscribers" in sent
        # issue 13: a week that went out shows its figures, with rates (none came back here).
        figures = next(row for row in rows if row.get("data-key") == "2024-12-11")
        assert figures.xpath("string(.//div[@class='sub figures'])") == (
            "2024-W50: sent 3, delivered 2 (66.67%); of sent: hard 1 (33.33%), soft 0 (0.00%), "
            "policy 0 (0.00%); of delivered: complaints 0 (0.00%), unsubscribes 1 (50.00%)"
        )
        dates = [row.xpath("string(td[@class='date'])") for row in rows]
        assert dates == sorted(dates, reverse=True), "newest first"
        history = doc(get(server, "/issues/2025-01-01/")).xpath("string(//section[@id='history'])")
        assert "awaiting approval" in history and "proof sent to the editors" in history
        assert "2025-01-01 11:30 UTC" in history


def test_opening_the_list_without_a_store_creates_nothing(tmp_path: Path):
    config = meridian_feed_project(tmp_path / "meridian")
    before = sorted(p.name for p in config.parent.iterdir())
    with RunningServer(create_preview_app(config.parent, watch=False)) as server:
        rows = doc(get(server, "/")).xpath("//tr[contains(@class, 'issue-row')]")
        assert rows, "the project's next week (from its feeds) is listed"
        assert {row.get("data-state") for row in rows} == {"draft"}
    assert sorted(p.name for p in config.parent.iterdir()) == before, "no store, no folder created"


def test_a_button_does_not_gather_the_week_again(served, monkeypatch):
    import digest.pipeline

    gathered = []
    original = digest.pipeline.gather_issue

    def counting(config):
        gathered.append(config.gathering.issue_date)
        return original(config)

    monkeypatch.setattr(digest.pipeline, "gather_issue", counting)
    story = stories(served)[1][0]
    assert len(gathered) == 1, "opening the week gathers it once"
    for action in ("exclude", "include", "pin"):
        assert post(served, f"/issues/{WEEK}/choice", {"action": action, "story": story}).status_code == 303
        assert get(served, f"/issues/{WEEK}/").status_code == 200
    assert len(gathered) == 1, "choices re-compose the week gathered before, they do not fetch it again"
