"""Issue 15: counted links over real HTTP. An issue with [tracking] clicks on is sent to a real SMTP
server (aiosmtpd); the links in the messages received are clicked by script against the site under
uvicorn, and what the store holds is checked with slot_clicks / issue_clicks and in its tables."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.deliver.send import Purpose, send_proofs, write_dry_run
from digest.lint import lint_rendered
from digest.pipeline import prepare_folder
from digest.settings.tracking import TrackingSettings
from digest.store import Store, open_store
from digest.store.clicks import IssueClicks, issue_clicks, slot_clicks
from digest.store.personal_data import erase_subscriber
from digest.store.subscribers import add_subscriber, find_subscriber
from tests.conftest import DELIVERY_TOML
from tests.smtp_server import SmtpTestServer
from tests.web.clicks_site import (
    BROWSER,
    ENV,
    PEOPLE,
    Copy,
    copy_of,
    made_token,
    send_tracked,
    site_app,
    tracking_toml,
)
from tests.web.servers import RunningServer

ISSUE = "2025-W02"
SCANNER = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"


class Site:
    def __init__(self, project: Path, store: Store, server: RunningServer, counter, smtp: SmtpTestServer):
        self.project, self.store, self.server, self.counter, self.smtp = project, store, server, counter, smtp

    def send(self, purpose: Purpose = Purpose.SEND) -> list[Copy]:
        return send_tracked(self.project, self.store, self.smtp, purpose)

    def click(self, url: str, *, method: str = "GET", agent: str = BROWSER, **headers: str) -> httpx.Response:
        return httpx.request(method, url, headers={"user-agent": agent, **headers}, timeout=5)

    def flushed(self) -> None:
        """What a stopping server does: judge and write every click still in memory."""
        self.counter.flush(everything=True)


def _site(tmp_path: Path, send_project: Path, **tracking: object):
    store = open_store(tmp_path / "subscribers.db")
    settings = TrackingSettings(clicks=True, **tracking)
    app, counter = site_app(store, settings)
    with RunningServer(app) as server, SmtpTestServer() as smtp:
        (tmp_path / "digest.toml").write_text(DELIVERY_TOML + tracking_toml(server.url, **tracking))
        yield Site(send_project, store, server, counter, smtp)
    store.close()


@pytest.fixture
def site(tmp_path: Path, send_project: Path):
    yield from _site(tmp_path, send_project, too_soon_seconds=0)


def story(copy: Copy, slot_position: int = 0) -> str:
    """A story link of a copy (the honeypot is the invisible one, found by its own test)."""
    return [link for link in copy.links() if not _is_honeypot(copy, link)][slot_position]


def _is_honeypot(copy: Copy, link: str) -> bool:
    return f'aria-hidden="true"><a href="{link}"' in copy.html


def test_every_story_link_goes_through_the_site_and_lands_where_the_issue_linked(site: Site):
    copies = site.send()
    assert len(copies) == len(PEOPLE)
    for copy in copies:
        assert len(copy.links("text")) >= 5, "the plain-text part's links are counted too"
        for never_counted in ("/unsubscribe?token=", "/preferences?token="):
            assert never_counted in copy.text and never_counted in copy.html
        assert f"/issues/{ISSUE}/" in copy.html, "the archive link is never tracked"
        for link in copy.links("text"):
            answer = site.click(link)
            assert answer.status_code == 302
            target = urlsplit(answer.headers["location"])
            assert target.scheme == "https" and target.hostname != "127.0.0.1"
            assert "utm_source=" in target.query, "the UTM tags stay"
    ana, bo = copies[0], copies[1]
    assert story(ana) != story(bo), "each copy's links are its own (a per-message clicker key)"


def test_clicks_are_counted_per_slot_with_unique_clickers(site: Site):
    copies = site.send()
    for copy in copies:
        site.click(story(copy))
    site.click(story(copies[0]))  # the same reader again: a click, not another clicker
    site.flushed()
    lead = [row for row in slot_clicks(site.store, ISSUE) if row.slot == "lead"]
    assert [(row.human, row.machine, row.unique_clickers) for row in lead] == [(4, 0, 3)]
    totals = issue_clicks(site.store, ISSUE)
    assert (totals.human, totals.machine, totals.unique_clickers) == (4, 0, 3)


@pytest.mark.parametrize(
    "token",
    [
        lambda good: good[:-1] + ("A" if good[-1] != "A" else "B"),  # altered signature
        lambda good: good[: len(good) // 2],  # truncated
        lambda good: good.replace(
            good.split(".")[0], made_token(ISSUE, "lead", "https://evil.example/").split(".")[0]
        ),
        lambda good: made_token(ISSUE, "lead", "https://evil.example/").replace("A", "B", 1) + "x",
        lambda good: "not-a-token",
    ],
    ids=["altered", "truncated", "other-url", "garbage-suffix", "garbage"],
)
def test_a_forged_altered_or_truncated_token_gets_400_and_no_redirect(site: Site, token):
    good = made_token(ISSUE, "lead", "https://www.meridian-media.example/")
    assert site.click(f"{site.server.url}c/{good}").status_code == 302
    answer = site.click(f"{site.server.url}c/{token(good)}")
    assert answer.status_code == 400 and "location" not in answer.headers
    site.flushed()
    assert issue_clicks(site.store, ISSUE).human == 1


def test_head_prefetch_and_scanner_agents_count_as_machine_with_their_reason(site: Site):
    copies = site.send()
    site.click(story(copies[0]), method="HEAD")
    site.click(story(copies[1]), **{"Sec-Purpose": "prefetch"})
    site.click(story(copies[2]), agent=SCANNER)
    site.click(story(copies[2], 1), agent="")
    site.flushed()
    totals = issue_clicks(site.store, ISSUE)
    assert (totals.human, totals.machine, totals.unique_clickers) == (0, 4, 0)
    assert totals.machine_reasons == {"scanner": 2, "head": 1, "prefetch": 1}


def test_a_burst_over_every_link_of_a_message_is_a_scanner_and_a_single_click_is_not(site: Site):
    copies = site.send()
    for position in range(4):  # a link scanner opening the message's links one after another
        site.click(story(copies[0], position))
    site.click(story(copies[1], 0))
    site.click(story(copies[1], 1))  # two links by one reader: a human may open two tabs
    site.flushed()
    totals = issue_clicks(site.store, ISSUE)
    assert (totals.human, totals.machine) == (2, 4)
    assert totals.machine_reasons == {"burst": 4}
    assert totals.unique_clickers == 1


def test_the_honeypot_poisons_its_message_clicks_before_and_after_it(site: Site):
    copies = site.send()
    ana, bo = copies[0], copies[1]
    honeypot = next(link for link in ana.links() if _is_honeypot(ana, link))
    assert "display:none" in ana.html.split(honeypot)[0][-200:]
    assert honeypot not in ana.text, "the plain-text part has no invisible link to click"
    site.click(story(ana))  # already in memory when the honeypot is clicked: set aside after all
    assert site.click(honeypot).status_code == 302
    site.click(story(ana, 1))
    site.click(story(bo))  # another message, untouched
    site.flushed()
    totals = issue_clicks(site.store, ISSUE)
    assert (totals.human, totals.machine, totals.unique_clickers) == (1, 2, 1)
    assert totals.machine_reasons == {"honeypot": 2}
    assert "honeypot" not in {row.slot for row in slot_clicks(site.store, ISSUE)}


@pytest.fixture
def soon_site(tmp_path: Path, send_project: Path):
    yield from _site(tmp_path, send_project, too_soon_seconds=3600)


def test_a_click_within_the_too_soon_window_after_delivery_is_a_scanner(soon_site: Site):
    copies = soon_site.send()
    soon_site.click(story(copies[0]))
    soon_site.flushed()
    totals = issue_clicks(soon_site.store, ISSUE)
    assert (totals.human, totals.machine, totals.machine_reasons) == (0, 1, {"too-soon": 1})


def test_anonymous_by_default_nothing_names_the_subscriber(site: Site):
    copies = site.send()
    for copy in copies:
        site.click(story(copy))
    site.flushed()
    db = site.store
    assert db.fetchvalue("SELECT count(*) FROM subscriber_clicks") == 0
    keys = [row["clicker"] for row in db.fetchall("SELECT clicker FROM link_clickers")]
    ids = {str(find_subscriber(db, address).id) for address in PEOPLE}
    assert len(keys) == 3 and not ids & set(keys)
    for copy in copies:
        assert "~" not in story(copy), "the token carries no subscriber id"


@pytest.fixture
def individual_site(tmp_path: Path, send_project: Path):
    yield from _site(tmp_path, send_project, too_soon_seconds=0, individual=True)


def test_individual_tracking_keeps_who_clicked_and_erasure_removes_it(individual_site: Site):
    site = individual_site
    copies = site.send()
    site.click(story(copies[0]))
    site.flushed()
    ana = find_subscriber(site.store, copies[0].to)
    rows = site.store.fetchall("SELECT subscriber_id, slot FROM subscriber_clicks")
    assert [(row["subscriber_id"], row["slot"]) for row in rows] == [(ana.id, "lead")]
    assert erase_subscriber(site.store, ana.email, b"salt")
    assert site.store.fetchvalue("SELECT count(*) FROM subscriber_clicks") == 0
    assert issue_clicks(site.store, ISSUE).human == 1, "the anonymous count stays"


def test_proof_and_dry_run_links_work_and_count_nothing(site: Site, tmp_path: Path):
    proof = prepare_folder(site.project, Purpose.PROOF, environ=ENV)
    send_proofs(proof, ["editor@example.com"], environ={**ENV, **site.smtp.environ()})
    for address in PEOPLE:
        add_subscriber(site.store, address, "")
    dry = prepare_folder(site.project, Purpose.DRY_RUN, environ=ENV)
    _, folder = write_dry_run(dry, site.store, tmp_path / "eml")
    copies = [copy_of(site.smtp.received[-1].data, "editor@example.com")]
    copies += [copy_of(eml.read_bytes(), eml.name) for eml in sorted(folder.glob("*.eml"))]
    assert len(copies) == 1 + len(PEOPLE)
    for copy in copies:
        for link in copy.links("text"):
            assert site.click(link).status_code == 302
    site.flushed()
    assert issue_clicks(site.store, ISSUE) == IssueClicks() and slot_clicks(site.store, ISSUE) == []


@pytest.fixture
def opens_site(tmp_path: Path, send_project: Path):
    yield from _site(tmp_path, send_project, too_soon_seconds=0, opens=True)


def test_the_open_pixel_is_counted_apart_and_the_archived_copy_counts_nothing(opens_site: Site):
    site = opens_site
    copies = site.send()
    pixel = next(link for link in copies[0].links() if "/o/" in link)
    assert f'<img src="{pixel}"' in copies[0].html
    answer = site.click(pixel)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/gif"
    site.flushed()
    assert [(row.slot, row.human) for row in slot_clicks(site.store, ISSUE)] == [("open", 1)]
    assert issue_clicks(site.store, ISSUE) == IssueClicks(), "opens are no clicks"
    kept = prepare_folder(site.project, Purpose.SEND, environ=ENV).plain()
    assert "/c/" not in kept.html and "/o/" not in kept.html and 'tabindex="-1"' not in kept.html
    assert not lint_rendered(kept).findings


def test_the_issue_report_shows_the_scripted_clicks_slot_by_slot(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    copies = site.send()
    for copy in copies:
        site.click(story(copy))  # every reader opens the lead
    site.click(story(copies[0], 1), agent=SCANNER)  # a scanner on one more-from story
    site.flushed()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", ISSUE, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    lead = next(row for row in report["slots"] if row["slot"] == "lead")
    assert (lead["human"], lead["machine"], lead["unique_clickers"]) == (3, 0, 3)
    assert report["clicks"] == {"human": 3, "machine": 1, "unique_clickers": 3}
    assert report["machine_reasons"] == {"scanner": 1}
