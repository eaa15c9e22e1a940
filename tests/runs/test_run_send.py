"""`digest run --send` against a real SMTP server (aiosmtpd on 127.0.0.1): each week goes out once,
a thin week is skipped and the editors are told, and with require_approval nothing reaches the
subscribers until an editor approves (or the deadline passes with no objection)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.errors import ConfigError
from digest.runs.approval import ApprovalError, approve_issue, reject_issue, send_due_approvals
from digest.runs.archive import load_archived_issue
from digest.runs.run import ExitCode, run_issue
from digest.runs.week import idle_tick
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.run_history import IssueHistory, IssueState
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import EDITOR, TIDEWATER_DATE, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer

FRIDAY_7AM = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)  # the sample issue's send time (GMT)


@pytest.fixture
def server():
    with SmtpTestServer() as running:
        yield running


@pytest.fixture
def project(tmp_path: Path):
    def make(**schedule) -> Path:
        return tidewater_project(tmp_path / "tidewater", **schedule)

    return make


def _env(server: SmtpTestServer) -> dict[str, str]:
    return server.environ(DIGEST_SECRET=TEST_SECRET)


def _state(config: Path, issue_id: str = "2025-W11") -> IssueState | None:
    store = open_store(load_project_config(config).delivery.store_path)
    try:
        record = IssueHistory(store).get(issue_id)
        return record.state if record else None
    finally:
        store.close()


def _subjects(server: SmtpTestServer, address: str) -> list[str]:
    return [r.message()["Subject"] for r in server.received if address in r.rcpt_tos]


def _run(config: Path, server: SmtpTestServer, *, at: dt.datetime = FRIDAY_7AM, send: bool = True):
    return run_issue(load_project_config(config), TIDEWATER_DATE, send=send, now=at, environ=_env(server))


# --- sending --------------------------------------------------------------------------------------


def test_a_week_goes_out_once_and_a_rerun_sends_nothing(project, server):
    config = project()
    readers = subscribe(config, 3)
    first = _run(config, server)
    assert first.exit_code is ExitCode.DONE
    assert first.line.startswith("2025-W11: built, 6 stories, archived in ")
    assert "; sent to 3 subscribers (0 failed, 0 uncertain, " in first.line
    assert server.copies == dict.fromkeys(readers, 1)
    assert _subjects(server, readers[0]) == ["Seagrass is back in Carrick Roads"]
    assert _state(config) is IssueState.SENT

    again = _run(config, server, at=FRIDAY_7AM + dt.timedelta(minutes=10))
    assert again.exit_code is ExitCode.DONE
    assert again.line == "2025-W11: already sent (2025-03-14 07:00 UTC); nothing to do"
    assert server.copies == dict.fromkeys(readers, 1)


def test_without_send_nothing_is_mailed(project, server):
    config = project()
    subscribe(config, 2)
    result = _run(config, server, send=False)
    assert result.exit_code is ExitCode.DONE
    assert server.received == []
    assert _state(config) is IssueState.BUILT
    # A later --send sends the week (rebuilt: nothing has gone out yet).
    assert "sent to 2 subscribers" in _run(config, server).line


def test_a_missing_secret_stops_the_run_before_any_work(project, server):
    config = project()
    with pytest.raises(ConfigError, match="no unsubscribe signing secret"):
        run_issue(load_project_config(config), TIDEWATER_DATE, send=True, environ=server.environ())
    assert not (config.parent / "built").exists()


# --- a thin week --------------------------------------------------------------------------------


def test_a_thin_week_is_skipped_and_the_editors_are_told_once(project, server):
    config = project(min_stories=8, editors=("Desk <desk@tidewater-press.example>", EDITOR))
    readers = subscribe(config, 2)
    result = _run(config, server)
    assert result.exit_code is ExitCode.THIN_WEEK
    assert result.line == (
        "2025-W11: skipped: a thin week, 6 stories (min_stories = 8); the editors were told (2 of 2)"
    )
    assert not any(reader in server.copies for reader in readers)
    assert server.copies == {"desk@tidewater-press.example": 1, EDITOR: 1}
    notice = server.received[0].message()
    assert notice["Subject"] == "[digest] 2025-W11 skipped: a thin week (6 of 8 stories)"
    assert notice["From"] == "The Tidewater Weekly <weekly@tidewater-press.example>"
    assert notice["To"] == "Desk <desk@tidewater-press.example>, editors@tidewater-press.example"
    assert notice["Auto-Submitted"] == "auto-generated"
    body = notice.get_content()
    assert "the week has 6 stories for the issue, and [schedule] min_stories is 8." in body
    assert "digest run --send --date 2025-03-14" in body
    assert _state(config) is IssueState.THIN

    # The next run of the same week (the timer fires again) does not mail the editors again.
    again = _run(config, server, at=FRIDAY_7AM + dt.timedelta(minutes=10))
    assert again.exit_code is ExitCode.THIN_WEEK
    assert again.line.endswith("; the editors were told 2025-03-14 07:00 UTC")
    assert len(server.received) == 2


def test_a_thin_week_without_send_tells_nobody(project, server):
    config = project(min_stories=8)
    result = _run(config, server, send=False)
    assert result.exit_code is ExitCode.THIN_WEEK
    assert server.received == []


def test_a_thin_week_filled_later_goes_out(project, server):
    config = project(min_stories=7)
    readers = subscribe(config, 1)
    assert _run(config, server).exit_code is ExitCode.THIN_WEEK
    story = config.parent / "2025-03-14" / "stories" / "late-arrival.md"
    front_matter = 'title: "A late arrival in the harbour"\nurl: "https://tidewater-press.example/late"'
    story.write_text(f"---\n{front_matter}\n---\nIt came.\n")
    result = _run(config, server, at=FRIDAY_7AM + dt.timedelta(hours=1))
    assert result.exit_code is ExitCode.DONE, result.line
    assert "built, 7 stories" in result.line
    assert server.copies[readers[0]] == 1


# --- the approval gate --------------------------------------------------------------------------


def test_approval_gate_end_to_end(project, server, monkeypatch):
    config = project(require_approval=True)
    readers = subscribe(config, 3)

    proofed = _run(config, server)
    assert proofed.exit_code is ExitCode.DONE
    assert proofed.line == (
        "2025-W11: awaiting approval: proof sent to 1 of 1 editors (2025-03-14 07:00 UTC); "
        "`digest approve 2025-W11` sends it"
    )
    assert _subjects(server, EDITOR) == ["[PROOF] Seagrass is back in Carrick Roads"]
    assert not any(reader in server.copies for reader in readers)
    assert _state(config) is IssueState.AWAITING_APPROVAL

    # Runs while it waits (the timer, the scheduler) send nothing and say why.
    waiting = _run(config, server, at=FRIDAY_7AM + dt.timedelta(hours=1))
    assert waiting.line == proofed.line
    assert len(server.received) == 1

    # After the proof, the week's folder changes (a story is retitled): subscribers still get
    # exactly what the editors saw.
    story = config.parent / "2025-03-14" / "stories" / "harbour-vote.md"
    story.write_text(story.read_text().replace("passes by a single vote", "passes narrowly"))

    monkeypatch.setenv("DIGEST_SECRET", TEST_SECRET)
    for name, value in server.environ().items():
        monkeypatch.setenv(name, value)
    # `digest approve` says the folder changed since the proof and refuses (issue 12); --proofed
    # makes explicit that the proofed version is meant.
    command = ["approve", "2025-W11", "--config", str(config), "--by", "Morwenna"]
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 2
    assert "changed since the proof: 1 story edited" in refused.stdout
    assert len(server.received) == 1
    approved = CliRunner().invoke(main, [*command, "--proofed"])
    assert approved.exit_code == 0, approved.output
    assert approved.stdout.splitlines()[-1].startswith(
        "2025-W11: approved by Morwenna; sent to 3 subscribers (0 failed"
    )
    assert server.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}
    delivered = next(r.message() for r in server.received if readers[0] in r.rcpt_tos)
    proof = next(r.message() for r in server.received if EDITOR in r.rcpt_tos)
    assert delivered["Subject"] == "Seagrass is back in Carrick Roads"
    html = delivered.get_body(("html",)).get_content()
    assert "Harbour dredging plan passes by a single vote" in html
    assert "passes narrowly" not in html
    assert "Harbour dredging plan passes by a single vote" in proof.get_body(("html",)).get_content()
    assert _state(config) is IssueState.SENT

    # Approving twice, or running again, sends nothing more.
    twice = CliRunner().invoke(main, ["approve", "2025-W11", "--config", str(config)])
    assert twice.exit_code == 2
    assert "error: 2025-W11: not awaiting approval (sent: approved by Morwenna; sent to 3" in twice.stderr
    assert "already sent" in _run(config, server, at=FRIDAY_7AM + dt.timedelta(hours=3)).line
    assert server.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}


def test_a_deadline_sends_the_issue_if_nobody_objects(project, server):
    config = project(require_approval=True, approval_deadline="2h")
    readers = subscribe(config, 2)
    proofed = _run(config, server)
    assert proofed.line.endswith(
        "sends it, and it goes out by itself at 2025-03-14 09:00 UTC unless rejected"
    )
    project_config = load_project_config(config)
    early = send_due_approvals(
        project_config, now=FRIDAY_7AM + dt.timedelta(hours=1, minutes=59), environ=_env(server)
    )
    assert early == []
    assert not any(reader in server.copies for reader in readers)

    [due] = send_due_approvals(project_config, now=FRIDAY_7AM + dt.timedelta(hours=2), environ=_env(server))
    assert due.exit_code is ExitCode.DONE
    assert due.line.startswith("2025-W11: nobody objected by the approval deadline; sent to 2 subscribers")
    assert server.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}
    assert (
        send_due_approvals(project_config, now=FRIDAY_7AM + dt.timedelta(hours=3), environ=_env(server)) == []
    )


def test_an_idle_tick_is_one_only_while_no_proof_is_past_its_deadline(project, server):
    """`digest run --if-due --send` stops early when nothing is due (runs/week.py idle_tick), but
    never while a proof's approval deadline has passed: that send goes out at any tick."""
    config = project(require_approval=True, approval_deadline="2h", grace="30m")
    subscribe(config, 1)
    _run(config, server)  # proofed at 07:00, out by itself at 09:00
    project_config = load_project_config(config)
    before_deadline = FRIDAY_7AM + dt.timedelta(hours=1)  # past grace: not due
    idle = idle_tick(project_config, before_deadline, send=True)
    assert idle is not None and idle.line.startswith("2025-W12: not due until")
    assert idle_tick(project_config, FRIDAY_7AM + dt.timedelta(hours=2), send=True) is None
    assert idle_tick(project_config, FRIDAY_7AM + dt.timedelta(hours=2), send=False) is not None


def test_a_rejected_issue_is_held_past_the_deadline_until_approved(project, server):
    config = project(require_approval=True, approval_deadline="2h")
    readers = subscribe(config, 2)
    _run(config, server)
    project_config = load_project_config(config)
    at = FRIDAY_7AM + dt.timedelta(minutes=30)
    rejected = reject_issue(project_config, "2025-W11", by="Jory", reason="wrong photo on the lead", now=at)
    assert rejected.line == "2025-W11: rejected by Jory: wrong photo on the lead; subscribers will not get it"

    later = FRIDAY_7AM + dt.timedelta(hours=5)
    assert send_due_approvals(project_config, now=later, environ=_env(server)) == []
    held = _run(config, server, at=later)
    assert held.line == (
        "2025-W11: held: rejected by Jory (2025-03-14 07:30 UTC); "
        "`digest approve 2025-W11` sends it after all"
    )
    assert not any(reader in server.copies for reader in readers)

    sent = approve_issue(project_config, "2025-W11", by="Morwenna", now=later, environ=_env(server))
    assert sent.line.startswith("2025-W11: approved by Morwenna; sent to 2 subscribers")
    assert server.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}


def test_approving_what_was_never_proofed_is_an_error(project, server):
    config = project()
    with pytest.raises(ApprovalError, match="2025-W11: no such issue in the history"):
        approve_issue(load_project_config(config), "2025-W11", by="me", environ=_env(server))
    _run(config, server, send=False)
    with pytest.raises(ApprovalError, match=r"2025-W11: not awaiting approval \(built: built, 6 stories"):
        reject_issue(load_project_config(config), "2025-W11", by="me")


def test_approve_takes_the_weeks_date_for_its_issue_id(project):
    # Issue 12 item 19: a day of the week names its issue (this one has not been built yet).
    result = CliRunner().invoke(main, ["approve", "2025-03-14", "--config", str(project())])
    assert result.exit_code == 2
    assert result.stderr == "error: 2025-W11: no such issue in the history (no run has built it)\n"


def test_the_archived_issue_is_the_one_sent(project, server):
    config = project(require_approval=True)
    subscribe(config, 1)
    _run(config, server)
    archived = load_archived_issue(config.parent / "built", "2025-W11")
    assert archived.subject == "Seagrass is back in Carrick Roads"
    assert len(archived.stories) == 6


# --- the scheduler drives the same runs -----------------------------------------------------------


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_the_scheduler_sends_at_the_time_and_again_never(project, server, monkeypatch):
    from digest.runs.scheduler import project_scheduler

    for name, value in _env(server).items():
        monkeypatch.setenv(name, value)
    config = project()
    readers = subscribe(config, 2)
    clock = FakeClock(FRIDAY_7AM - dt.timedelta(minutes=1))
    scheduler = project_scheduler(config, clock=clock)
    scheduler.start()
    assert server.received == []
    for _ in range(12):  # four minutes of ticks, 20 s apart
        clock.now += dt.timedelta(seconds=20)
        scheduler.tick()
    assert server.copies == dict.fromkeys(readers, 1)
    assert _state(config) is IssueState.SENT
    # A second scheduler started within grace (a restart) catches up nothing: the week is done.
    project_scheduler(config, clock=clock).start()
    assert server.copies == dict.fromkeys(readers, 1)


def test_the_scheduler_sends_a_proofed_issue_at_its_deadline(project, server, monkeypatch):
    from digest.runs.scheduler import project_scheduler

    for name, value in _env(server).items():
        monkeypatch.setenv(name, value)
    config = project(require_approval=True, approval_deadline="1h")
    readers = subscribe(config, 2)
    clock = FakeClock(FRIDAY_7AM - dt.timedelta(seconds=10))
    scheduler = project_scheduler(config, clock=clock)
    scheduler.start()
    clock.now = FRIDAY_7AM + dt.timedelta(seconds=10)
    scheduler.tick()
    assert server.copies == {EDITOR: 1}  # the proof
    clock.now = FRIDAY_7AM + dt.timedelta(minutes=59)
    scheduler.tick()
    assert server.copies == {EDITOR: 1}
    clock.now = FRIDAY_7AM + dt.timedelta(hours=1, seconds=20)
    scheduler.tick()
    assert server.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}
