"""Sending from the desk over real HTTP, to aiosmtpd (issue 17): an editor has no send button and is
refused; a publisher's send asks first, refuses a stale confirmation, runs in the background (a
second press is told it is already sending), reaches each subscriber exactly once, and the week's
page then says sent, by whom and when."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from lxml import html as lxml_html

from digest.store.run_history import IssueHistory, IssueState, ThisProcess, issue_lock
from tests.smtp_server import Faults, free_port
from tests.web.desk import csrf_of, logged_in, tidewater_desk

KEY = "2025-03-14"
ISSUE_ID = "2025-W11"


def _section(page: httpx.Response, section: str) -> str:
    tree = lxml_html.document_fromstring(page.text)
    return " ".join(tree.xpath(f"string(//section[@id='{section}'])").split())


def _confirm_form(page: httpx.Response) -> dict[str, str]:
    tree = lxml_html.document_fromstring(page.text)
    form = tree.xpath("//form[contains(@action, '/send')]")[0]
    return {field.get("name"): field.get("value", "") for field in form.xpath(".//input")}


def _wait_until_sent(client: httpx.Client, seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = client.get(f"/issues/{KEY}/")
        if "Sent from the desk" in _section(page, "sending"):
            return page
        time.sleep(0.2)
    raise AssertionError("the desk's send did not end in time: " + _section(page, "sending"))


def test_a_publisher_sends_from_the_desk_an_editor_cannot(tmp_path: Path, monkeypatch):
    # The first reader's RCPT TO waits 2 s: the send is still going when the second press comes.
    slow = Faults(stall_first_rcpt={"reader000@example.com": 2.0})
    with tidewater_desk(tmp_path, monkeypatch, 3, slow) as (base, readers, store, smtp):
        editor = logged_in(base, "ed")
        page = editor.get(f"/issues/{KEY}/")
        assert "A publisher sends: you are ed, an editor." in _section(page, "sending")
        assert not lxml_html.document_fromstring(page.text).xpath("//form[contains(@action, '/send')]")
        refused = editor.post(f"/issues/{KEY}/send", data={"confirm": "yes", "csrf": csrf_of(page)})
        assert refused.status_code == 403 and "needs the publisher role" in refused.text

        publisher = logged_in(base, "pat")
        page = publisher.get(f"/issues/{KEY}/")
        assert "Send to 3 subscribers now…" in _section(page, "sending")
        assert "Fri 07:00 Europe/London" in _section(page, "sending")
        asked = publisher.post(f"/issues/{KEY}/send", data=_confirm_form(page))
        assert asked.status_code == 200
        assert "Send to 3 subscribers now?" in _section(asked, "confirm")
        confirm = _confirm_form(asked)
        assert confirm["confirm"] == "yes" and len(confirm["issue"]) == 64
        assert not smtp.received  # asking sends nothing

        # The issue changes after the confirmation was shown (an editor leaves a story out): its
        # Yes is refused, nothing is sent; a fresh confirmation sends the issue as it is now.
        tree = lxml_html.document_fromstring(page.text)
        story = tree.xpath("//form[contains(@class, 'actions')]//input[@name='story']/@value")[0]
        left_out = editor.post(
            f"/issues/{KEY}/choice",
            data={"story": story, "action": "exclude", "csrf": csrf_of(editor.get(f"/issues/{KEY}/"))},
        )
        assert left_out.status_code in (200, 303), left_out.text
        stale = publisher.post(f"/issues/{KEY}/send", data=confirm, follow_redirects=True)
        assert "Not sent: 2025-W11: the issue changed since this confirmation was shown" in _section(
            stale, "sending"
        )
        assert not smtp.received
        fresh = _confirm_form(publisher.post(f"/issues/{KEY}/send", data=_confirm_form(page)))
        assert fresh["issue"] != confirm["issue"]
        confirm = fresh

        started = publisher.post(f"/issues/{KEY}/send", data=confirm, follow_redirects=True)
        assert "2025-W11: sending, started by pat" in _section(started, "sending")
        again = publisher.post(f"/issues/{KEY}/send", data=confirm, follow_redirects=True)
        assert "Not sent: 2025-W11: already sending (started by pat)" in _section(again, "sending")

        done = _wait_until_sent(publisher)
        assert smtp.copies == dict.fromkeys(readers, 1)
        assert "sent to 3 subscribers (0 failed, 0 uncertain" in _section(done, "sending")
        assert "3 sent · 0 left · 0 failed · 0 uncertain" in _section(done, "sending")
        history = _section(done, "history")
        assert "sent" in history and "from the desk by pat" in history
        assert 'pat</span> <span class="what">send (confirm=yes)' in done.text
        # Sent: no button any more, and a press from an old page sends nothing.
        assert not lxml_html.document_fromstring(done.text).xpath("//form[contains(@action, '/send')]")
        late = publisher.post(f"/issues/{KEY}/send", data=confirm, follow_redirects=True)
        assert "Not sent: 2025-03-14: nothing to send from here" in _section(late, "sending")
        assert smtp.copies == dict.fromkeys(readers, 1)
        record = IssueHistory(store).get(ISSUE_ID)
        assert record is not None and record.state is IssueState.SENT


def test_another_process_sending_the_week_is_already_sending(tmp_path: Path, monkeypatch):
    """A cron `digest run --send` (another process, here its lock row) holds the week: the desk says so."""
    with tidewater_desk(tmp_path, monkeypatch, 1) as (base, _, store, smtp):
        publisher = logged_in(base, "pat")
        confirm = _confirm_form(
            publisher.post(f"/issues/{KEY}/send", data=_confirm_form(publisher.get(f"/issues/{KEY}/")))
        )
        cron = ThisProcess(host="another-host", pid=1, boot_id="")
        with issue_lock(store, ISSUE_ID, me=cron):
            answer = publisher.post(f"/issues/{KEY}/send", data=confirm, follow_redirects=True)
        assert "Not sent: 2025-W11: already sending: 2025-W11 is being built or sent by" in _section(
            answer, "sending"
        )
        assert not smtp.received


def test_a_send_that_stops_tells_the_editors_as_digest_run_does(tmp_path: Path, monkeypatch):
    """The mail server cannot be reached: the desk's send stops, the editors are told as by `digest
    run --send` (here that fails too, and the line says so), the page says it stopped and why and
    offers to resume; nobody got the issue."""
    with tidewater_desk(tmp_path, monkeypatch, 2) as (base, _, _, smtp):
        monkeypatch.setenv("DIGEST_SMTP_PORT", str(free_port()))  # nothing listens there
        publisher = logged_in(base, "pat")
        page = publisher.get(f"/issues/{KEY}/")
        confirm = _confirm_form(publisher.post(f"/issues/{KEY}/send", data=_confirm_form(page)))
        publisher.post(f"/issues/{KEY}/send", data=confirm)
        deadline = time.monotonic() + 60
        while "The desk's send stopped" not in (
            shown := _section(publisher.get(f"/issues/{KEY}/"), "sending")
        ):
            assert time.monotonic() < deadline, shown
            time.sleep(0.2)
        assert "0 sent · 2 left · 0 failed · 0 uncertain" in shown
        assert "stopped: cannot reach 127.0.0.1" in shown
        # run_and_tell's notice to the editors was tried (their server is the same unreachable one).
        assert "the editors could not be told (editors@tidewater-press.example: cannot reach" in shown
        assert "Resume the send to 2 subscribers now…" in shown
    assert not smtp.received


def test_the_desk_sends_the_confirmed_copy_even_if_the_week_changes_right_after(tmp_path: Path, monkeypatch):
    """The race made deterministic: the week's issue.toml changes (a new subject) between the
    confirmation's check and the start of the send's run (`digest run --send`, a child process).
    The readers get the issue as confirmed, byte for byte the copy the run history names by its
    hash, not the week composed again."""
    from digest.runs.archive import issue_hash, load_archived_issue
    from digest.settings import load_project_config
    from digest.web.preview import sending

    real_launch = sending.launch_send

    def edited_first(plan, log_path):
        issue_toml = plan.project.path.parent / KEY / "issue.toml"
        text = issue_toml.read_text(encoding="utf-8")
        issue_toml.write_text(text.replace("Seagrass is back in Carrick Roads", "Edited after Yes"))
        return real_launch(plan, log_path)

    monkeypatch.setattr(sending, "launch_send", edited_first)
    with tidewater_desk(tmp_path, monkeypatch, 3) as (base, readers, store, smtp):
        publisher = logged_in(base, "pat")
        asked = publisher.post(f"/issues/{KEY}/send", data=_confirm_form(publisher.get(f"/issues/{KEY}/")))
        confirm = _confirm_form(asked)
        publisher.post(f"/issues/{KEY}/send", data=confirm)
        _wait_until_sent(publisher)
        assert smtp.copies == dict.fromkeys(readers, 1)
        subjects = {message.message()["Subject"] for message in smtp.received}
        assert subjects == {"Seagrass is back in Carrick Roads"}, subjects
        project = load_project_config(tmp_path / "tidewater" / "digest.toml")
        archived = load_archived_issue(project.archive_dir, ISSUE_ID)
        assert issue_hash(archived) == confirm["issue"] == IssueHistory(store).get(ISSUE_ID).proof_hash
        assert "Edited after Yes" in (tmp_path / "tidewater" / KEY / "issue.toml").read_text()


def test_the_send_goes_on_when_the_preview_is_stopped(tmp_path: Path):
    """`digest preview` as a real process: a send started from its page is a child process in a
    session of its own. SIGTERM stops the preview at once, while the send is held up at the mail
    server; the send still finishes, each reader getting the issue once, its output in logs/."""
    import os
    import signal
    import subprocess
    import sys

    from digest.settings import load_project_config
    from digest.store import open_store
    from tests.conftest import TEST_SECRET
    from tests.schedule_fixtures import subscribe, tidewater_project
    from tests.smtp_server import SmtpTestServer

    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, 3)
    with SmtpTestServer(Faults(stall_first_rcpt={"reader000@example.com": 4.0})) as smtp:
        env = {**os.environ, **smtp.environ(DIGEST_SECRET=TEST_SECRET)}
        preview = subprocess.Popen(
            [sys.executable, "-m", "digest", "preview", str(config.parent), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            preview.stdout.readline()
            base = "/".join(preview.stdout.readline().split()[0].split("/")[:3])
            client = httpx.Client(base_url=base, timeout=30, headers={"Origin": base})
            page = client.get(f"/issues/{KEY}/")
            confirm = _confirm_form(client.post(f"/issues/{KEY}/send", data=_confirm_form(page)))
            started = client.post(f"/issues/{KEY}/send", data=confirm, follow_redirects=True)
            assert "2025-W11: sending, started by" in _section(started, "sending")
            time.sleep(1)  # the child has started: it holds the first reader's RCPT
            preview.send_signal(signal.SIGTERM)
            preview.wait(timeout=5)  # the preview stops now, not when the send ends
            assert not smtp.copies.get("reader000@example.com"), "the send was still going"
        finally:
            if preview.poll() is None:
                preview.kill()
        store = open_store(load_project_config(config).delivery.store_path)
        try:
            deadline = time.monotonic() + 60
            while (
                record := IssueHistory(store).get(ISSUE_ID)
            ) is None or record.state is not IssueState.SENT:
                assert time.monotonic() < deadline, record
                time.sleep(0.2)
        finally:
            store.close()
        assert smtp.copies == dict.fromkeys(readers, 1)
    log = (config.parent / "logs" / f"desk-send-{ISSUE_ID}.log").read_text(encoding="utf-8")
    assert "sent to 3 subscribers" in log
