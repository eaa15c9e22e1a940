"""The preview of a week that went out shows what each story did: `digest run --send` to aiosmtpd
(so the send log, the run history and the kept copy are real), clicks written with the store's
`record_clicks`, then the week's page over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
from lxml import html as lxml_html

from digest.runs.archive import load_archived_issue
from digest.runs.run import run_issue
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.clicks import OPEN_SLOT, Click, record_clicks
from digest.web.preview import create_preview_app
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import DELIVERY, MERIDIAN_DATE, meridian_feed_project, subscribe
from tests.smtp_server import SmtpTestServer
from tests.web.servers import RunningServer

WEEK = MERIDIAN_DATE.isoformat()


def page(server: RunningServer):
    response = httpx.get(f"{server.url.rstrip('/')}/issues/{WEEK}/", timeout=10)
    assert response.status_code == 200
    return lxml_html.document_fromstring(response.text)


def test_a_sent_weeks_page_shows_each_storys_figures(tmp_path: Path):
    config = meridian_feed_project(tmp_path / "meridian", extra=DELIVERY)
    subscribe(config, 4)
    project = load_project_config(config)
    with SmtpTestServer() as smtp:
        result = run_issue(project, MERIDIAN_DATE, send=True, environ=smtp.environ(DIGEST_SECRET=TEST_SECRET))
        assert result.exit_code == 0, result.line
        assert len(smtp.received) == 4
    issue = load_archived_issue(project.archive_dir, "2025-W02")
    lead, second = issue.stories[0], issue.stories[1]

    with RunningServer(create_preview_app(config.parent, watch=False)) as server:
        untracked = page(server)
        assert "click tracking was off" in untracked.xpath("string(//section[@id='figures'])")
        assert untracked.xpath("string(//li[@data-story=$id]//p[@class='story-figures'])", id=lead.id) == (
            "sent as lead: clicks not tracked"
        )

        store = open_store(project.delivery.store_path)
        try:
            record_clicks(
                store,
                [
                    Click("2025-W02", "lead", lead.url, clicker="a"),
                    Click("2025-W02", "lead", lead.url, clicker="b"),
                    Click("2025-W02", "lead", lead.url, human=False, reason="scanner"),
                    Click("2025-W02", OPEN_SLOT, "", clicker="a"),
                ],
            )
        finally:
            store.close()
        tracked = page(server)
        beside = tracked.xpath("string(//li[@data-story=$id]//p[@class='story-figures'])", id=lead.id)
        assert beside == "sent as lead: 2 human / 1 machine, 2 unique (50.00% of delivered)"
        other = tracked.xpath("string(//li[@data-story=$id]//p[@class='story-figures'])", id=second.id)
        assert other == "sent as more-1: 0 human / 0 machine, 0 unique (0.00% of delivered)"
        figures = tracked.xpath("string(//section[@id='figures'])")
        assert "2025-W02: sent 4, delivered 4 (100.00%)" in figures
        assert "Set aside: 1 machine clicks (scanner 1)." in figures
        assert "Opens: 1 (inflated by mail privacy features; not a measure of reading)." in figures
        assert tracked.xpath("//section[@id='figures']//li/@data-slot")[0] == "lead"
