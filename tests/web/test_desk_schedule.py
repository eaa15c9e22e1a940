"""Schedule from the desk (issue 17) over real HTTP, then the unattended `digest run --if-due
--send` (the CLI in this process, at a controlled clock) to aiosmtpd: a publisher schedules the
week for its [schedule] slot after a confirmation naming the time; before the slot nothing goes,
after it the run sends the scheduled copy once, without another approval; a cancelled schedule
sends nothing to subscribers. An editor can do neither."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from click.testing import CliRunner
from lxml import html as lxml_html

from digest.cli import main
from digest.settings import load_project_config
from digest.store import Store, open_store
from digest.store.run_history import IssueHistory, IssueState
from digest.weekly import issue_id_for
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import EDITOR, move_issue_to, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer
from tests.web.desk import add_users, csrf_of, desk_server, logged_in

FRIDAY = 4


def _next_friday() -> dt.date:
    """A Friday at least two days ahead: the week's 07:00 slot is always still to come."""
    day = dt.date.today() + dt.timedelta(days=2)
    return day + dt.timedelta(days=(FRIDAY - day.weekday()) % 7)


def _section(page: httpx.Response, section: str) -> str:
    tree = lxml_html.document_fromstring(page.text)
    return " ".join(tree.xpath(f"string(//section[@id='{section}'])").split())


def _form(page: httpx.Response, button: str) -> dict[str, str]:
    tree = lxml_html.document_fromstring(page.text)
    (form,) = tree.xpath(f"//form[contains(@action, '/schedule')][.//button[contains(., '{button}')]]")
    return {field.get("name"): field.get("value", "") for field in form.xpath(".//input")}


@contextmanager
def _scheduling_desk(root: Path, monkeypatch) -> Iterator[tuple[str, Path, list[str], Store, SmtpTestServer]]:
    """Tidewater with require_approval (a run alone would only proof it), its issue moved to the
    coming Friday, three readers, the desk's users, aiosmtpd."""
    config = tidewater_project(root / "tidewater", require_approval=True)
    day = _next_friday()
    move_issue_to(config, day)
    readers = subscribe(config, 3)
    store = open_store(load_project_config(config).delivery.store_path)
    add_users(store)
    try:
        with SmtpTestServer() as smtp, desk_server(config.parent, store) as server:
            for name, value in smtp.environ(DIGEST_SECRET=TEST_SECRET).items():
                monkeypatch.setenv(name, value)
            yield server.url.rstrip("/") + f"/issues/{day.isoformat()}", config, readers, store, smtp
    finally:
        store.close()


def _run_at(monkeypatch, config: Path, now: dt.datetime, *args: str) -> str:
    """`digest run … --send` as the timer runs it, with the clock at ``now``."""
    monkeypatch.setattr("digest.cli.run.utc_now", lambda: now)
    result = CliRunner().invoke(main, ["run", "--config", str(config), *args, "--send"])
    return result.output


def _schedule(base: str) -> httpx.Response:
    publisher = logged_in(base.split("/issues/")[0], "pat")
    page = publisher.get(base + "/")
    assert "Schedule for Fri 07:00 Europe/London…" in _section(page, "sending")
    asked = publisher.post(base + "/schedule", data=_form(page, "Schedule for"))
    assert asked.status_code == 200
    return publisher.post(base + "/schedule", data=_form(asked, "Yes: schedule"), follow_redirects=True)


def test_a_scheduled_week_goes_at_its_time_once_without_another_approval(tmp_path: Path, monkeypatch):
    with _scheduling_desk(tmp_path, monkeypatch) as (base, config, readers, store, smtp):
        day = _next_friday()
        slot = load_project_config(config).slot.on(day)
        editor = logged_in(base.split("/issues/")[0], "ed")
        page = editor.get(base + "/")
        assert "Schedule for" not in _section(page, "sending")
        refused = editor.post(base + "/schedule", data={"confirm": "yes", "csrf": csrf_of(page)})
        assert refused.status_code == 403 and "needs the publisher role" in refused.text

        publisher = logged_in(base.split("/issues/")[0], "pat")
        asked = publisher.post(base + "/schedule", data=_form(publisher.get(base + "/"), "Schedule for"))
        when = f"{slot:%Y-%m-%d} 07:00"
        assert f"Schedule for Fri {when}" in _section(asked, "confirm") and not smtp.received
        done = publisher.post(base + "/schedule", data=_form(asked, "Yes: schedule"), follow_redirects=True)
        sending = _section(done, "sending")
        assert f"Scheduled for Fri {when}" in sending and "by pat at" in sending, sending
        assert "Cancel the schedule" in sending and not smtp.received
        assert 'pat</span> <span class="what">schedule (confirm=yes)' in done.text
        assert not lxml_html.document_fromstring(done.text).xpath("//section[@id='approval']")

        early = _run_at(monkeypatch, config, slot - dt.timedelta(minutes=1), "--date", day.isoformat())
        assert "scheduled for" in early and not smtp.received, early
        assert "not due" in _run_at(monkeypatch, config, slot - dt.timedelta(minutes=1), "--if-due")
        assert not smtp.received
        sent = _run_at(monkeypatch, config, slot + dt.timedelta(minutes=5), "--if-due")
        assert "scheduled by pat" in sent and "sent to 3 subscribers" in sent, sent
        again = _run_at(monkeypatch, config, slot + dt.timedelta(minutes=15), "--if-due")
        assert "already sent" in again
        assert smtp.copies == dict.fromkeys(readers, 1), "each reader once; no proof to the editors"
        record = IssueHistory(store).get(issue_id_for(day))
        assert record is not None and record.state is IssueState.SENT


def test_a_cancelled_schedule_sends_nothing_to_subscribers(tmp_path: Path, monkeypatch):
    with _scheduling_desk(tmp_path, monkeypatch) as (base, config, _, _, smtp):
        day = _next_friday()
        slot = load_project_config(config).slot.on(day)
        publisher = logged_in(base.split("/issues/")[0], "pat")
        _schedule(base)
        page = publisher.get(base + "/")
        cancelled = publisher.post(base + "/schedule", data=_form(page, "Cancel"), follow_redirects=True)
        sending = _section(cancelled, "sending")
        assert "schedule cancelled by pat" in sending and "Schedule for Fri 07:00" in sending, sending
        assert 'pat</span> <span class="what">schedule (cancel=yes)' in cancelled.text
        output = _run_at(monkeypatch, config, slot + dt.timedelta(minutes=5), "--if-due")
        assert "awaiting approval" in output, output  # require_approval: the run proofs it instead
        assert set(smtp.copies) == {EDITOR}, "only the editors' proof; no subscriber got it"
