"""A `digest run --send` that stops, as a real process against a real SMTP server: the editors get
one notice per issue and kind of stop, saying what stopped it, the exit code and the command that
sends it anyway; that command works. When the mail server is what fails, the notice cannot go out:
the line says so and the next tick tries again."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.runs import stops
from digest.settings import load_project_config
from tests.conftest import TEST_SECRET, write_story
from tests.deliver.processes import digest, finish
from tests.schedule_fixtures import EDITOR, subscribe, tidewater_project
from tests.smtp_server import Faults, SmtpTestServer, free_port

DUPLICATE_STORY = """
title: "Dredging: the vote, again"
url: "https://tidewater-press.example/news/harbour-dredging-vote"
published: 2025-03-12T09:00:00Z
"""


def _tick(config: Path, server: SmtpTestServer, *extra: str, env: dict[str, str] | None = None):
    """One timer tick: `digest run --send` for the sample's week, as a real process."""
    return finish(
        digest(server, "run", "--config", config, "--date", "2025-03-14", "--send", *extra, extra_env=env)
    )


def _notices(server: SmtpTestServer) -> list[EmailMessage]:
    return [r.message() for r in server.received if EDITOR in r.rcpt_tos]


def _last_line(out: str, err: str) -> str:
    return (out + err).strip().splitlines()[-1]


def _body(notice: EmailMessage) -> str:
    return notice.get_content().replace("\r\n", "\n")


def _commands(notice: EmailMessage) -> list[str]:
    return [line.strip() for line in _body(notice).splitlines() if line.startswith("  digest ")]


def _lint_stopped(tmp_path: Path) -> Path:
    config = tidewater_project(tmp_path / "tidewater")
    write_story(config.parent / "2025-03-14" / "stories", "harbour-vote-again", DUPLICATE_STORY)
    return config


def test_a_run_stopped_by_lint_tells_the_editors_once_and_their_command_sends_it(tmp_path: Path):
    config = _lint_stopped(tmp_path)
    readers = subscribe(config, 3)
    with SmtpTestServer() as server:
        first = _tick(config, server)
        second = _tick(config, server)
        notices = _notices(server)
        assert first[0] == second[0] == 1, first
        assert not any(server.copies[reader] for reader in readers), "a stopped run sent the issue"

        assert len(notices) == 1, [n["Subject"].strip() for n in notices]
        notice = notices[0]
        assert notice["Subject"] == "[digest] 2025-W11 not sent: lint errors (exit 1)"
        body = _body(notice)
        assert "What stopped it:\n  not sendable: 1 lint error, first story-duplicate-url:" in body
        assert "The run's exit code: 1 (lint errors)." in body
        [command] = _commands(notice)
        assert command == shlex.join(
            ["digest", "run", "--send", "--force", "--date", "2025-03-14", "--config", str(config.resolve())]
        )
        assert _last_line(*first[1:]).endswith("; the editors were told (1 of 1)")
        assert re.search(r"; the editors were told \d{4}-\d\d-\d\d \d\d:\d\d UTC$", _last_line(*second[1:]))

        # The command in the notice, run as written (from anywhere: it names the config).
        forced = finish(digest(server, *shlex.split(command)[1:]))
        assert forced[0] == 0, forced
        assert "sent to 3 subscribers (0 failed, 0 uncertain" in forced[1]
        assert all(server.copies[reader] == 1 for reader in readers)
        assert len(_notices(server)) == 1


def test_when_the_mail_server_is_down_the_notice_waits_for_the_next_tick(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, 25)
    port = free_port()
    with SmtpTestServer() as unused:
        down = _tick(config, unused, env={"DIGEST_SMTP_PORT": str(port)})
    assert down[0] == 3, down
    line = _last_line(*down[1:])
    assert line.startswith("error: ") and f"cannot reach 127.0.0.1:{port}" in line, line
    assert line.endswith("; the next run tries again"), line
    assert "the editors could not be told (" in line

    # Next tick: the server answers but refuses every subscriber alike; the editors can be told now.
    refused = Faults(refuse=dict.fromkeys(readers, "550 5.7.1 relaying denied"))
    with SmtpTestServer(refused) as server:
        told = _tick(config, server)
        again = _tick(config, server)
        notices = _notices(server)
    assert told[0] == again[0] == 3, told
    assert [n["Subject"].strip() for n in notices] == ["[digest] 2025-W11 not sent: the mail server (exit 3)"]
    assert "relaying denied" in _body(notices[0])
    assert _last_line(*told[1:]).endswith("; the editors were told (1 of 1)")
    assert "; the editors were told 20" in _last_line(*again[1:])


def test_a_bad_issue_file_tells_the_editors_and_an_unreadable_config_says_they_cannot_be(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    issue_toml = config.parent / "2025-03-14" / "issue.toml"
    issue_toml.write_text(issue_toml.read_text().replace("2025-03-14", "2025-03-15", 1))
    with SmtpTestServer() as server:
        bad_issue = _tick(config, server)
        config.write_text(config.read_text() + "\n[schedule\n")
        bad_config = _tick(config, server)
        notices = _notices(server)
    assert bad_issue[0] == 2, bad_issue
    assert [n["Subject"].strip() for n in notices] == [
        "[digest] 2025-W11 not sent: a problem in the settings or the week's files (exit 2)"
    ]
    assert "[issue] date is 2025-03-15, but this folder is the issue of 2025-03-14" in _body(notices[0])
    assert bad_config[0] == 2, bad_config
    line = _last_line(*bad_config[1:])
    assert line.startswith("error: ") and "digest.toml" in line, line
    assert line.endswith("; the editors could not be told: their addresses are in that file"), line


def test_a_lock_held_too_long_tells_the_editors_and_a_fresh_one_does_not(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    subscribe(config, 1)  # creates the store
    database = sqlite3.connect(config.parent / "digest.db")

    def hold(since: dt.datetime) -> None:
        with database:
            database.execute("DELETE FROM run_locks")
            database.execute(
                "INSERT INTO run_locks (issue_id, host, pid, boot_id, since) VALUES (?, ?, ?, ?, ?)",
                ("2025-W11", "elsewhere.example", 4242, "", since.isoformat(timespec="seconds")),
            )

    now = dt.datetime.now(dt.UTC)
    with SmtpTestServer() as server:
        hold(now - dt.timedelta(minutes=5))
        fresh = _tick(config, server)
        fresh_notices = len(_notices(server))
        hold(now - dt.timedelta(hours=3))
        stuck = _tick(config, server)
        notices = _notices(server)
    database.close()
    assert fresh[0] == stuck[0] == 4, (fresh, stuck)
    assert fresh_notices == 0, "a run at work is not a stop to report"
    assert not _last_line(*fresh[1:]).endswith("told (1 of 1)")
    stuck_subject = "[digest] 2025-W11 not sent: a run lock held too long (exit 4)"
    assert [n["Subject"].strip() for n in notices] == [stuck_subject]
    assert "pid 4242 on elsewhere.example" in _body(notices[0])


def test_a_damaged_store_tells_the_editors_once_recorded_beside_it(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    (config.parent / "digest.db").write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with SmtpTestServer() as server:
        first = _tick(config, server)
        second = _tick(config, server)
        notices = _notices(server)
    assert first[0] == second[0] == 9, first
    assert [n["Subject"].strip() for n in notices] == ["[digest] 2025-W11 not sent: the database (exit 9)"]
    assert _last_line(*first[1:]).endswith("; the editors were told (1 of 1)")
    assert "; the editors were told 20" in _last_line(*second[1:])
    assert (config.parent / "digest.db.stop-notices.json").is_file()


def test_the_scheduler_tells_the_editors_once_when_its_run_stops(tmp_path: Path, monkeypatch):
    from digest.runs.scheduler import project_scheduler

    config = _lint_stopped(tmp_path)
    subscribe(config, 2)
    friday_7am = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)
    moments = iter([friday_7am + dt.timedelta(seconds=s) for s in range(10, 200)])
    with SmtpTestServer() as server:
        for name, value in server.environ(DIGEST_SECRET=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        scheduler = project_scheduler(config, clock=lambda: next(moments))
        scheduler.start()  # within grace of the slot: runs it, and the run stops
        project_scheduler(config, clock=lambda: next(moments)).start()  # a restart: the same stop
        notices = _notices(server)
    assert [n["Subject"].strip() for n in notices] == ["[digest] 2025-W11 not sent: lint errors (exit 1)"]


def test_a_send_stopped_part_way_tells_the_editors_once(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, 3)
    greylisted = Faults(refuse={readers[0]: "451 4.7.1 greylisted, come back later"})
    with SmtpTestServer(greylisted) as server:
        first = _tick(config, server)
        second = _tick(config, server)
        notices = _notices(server)
    assert first[0] == second[0] == 5, first
    subject = "[digest] 2025-W11 not sent to everyone: sending stopped part-way (exit 5)"
    assert [n["Subject"].strip() for n in notices] == [subject]
    assert "1 deferred (451 4.7.1 greylisted, come back later)" in _body(notices[0])
    assert _commands(notices[0]) == [
        shlex.join(["digest", "run", "--send", "--date", "2025-03-14", "--config", str(config.resolve())])
    ]
    assert _last_line(*first[1:]).endswith("; the editors were told (1 of 1)")


def test_a_bug_that_stops_the_run_is_told_and_keeps_its_traceback(tmp_path: Path, monkeypatch):
    # The one fault injected by hand: a bug cannot be provoked through real parts, by definition.
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something digest did not expect")

    monkeypatch.setattr(stops, "run_issue", broken)
    config = tidewater_project(tmp_path / "tidewater")
    with SmtpTestServer() as server:
        for _ in range(2):
            with pytest.raises(RuntimeError, match="did not expect"):
                stops.run_and_tell(
                    load_project_config(config),
                    dt.date(2025, 3, 14),
                    send=True,
                    environ=server.environ(DIGEST_SECRET=TEST_SECRET),
                )
        notices = _notices(server)
    assert [n["Subject"].strip() for n in notices] == [
        "[digest] 2025-W11 not sent: an unexpected error (exit 1)"
    ]
    assert "RuntimeError: something digest did not expect" in _body(notices[0])


def test_a_deadline_send_that_stops_tells_the_editors_once_and_other_issues_still_go(
    tmp_path: Path, monkeypatch
):
    """A proofed issue whose approval deadline passed goes out at the next tick; when that send
    fails (the mail server gone, then a reader deferred) the editors hear it once per kind, with
    the command that resumes it (no new proof: it was proofed)."""
    from digest.runs.run import run_issue
    from digest.runs.stops import send_due_approvals_and_tell

    config = tidewater_project(tmp_path / "tidewater", require_approval=True, approval_deadline="1h")
    readers = subscribe(config, 3)
    friday_7am = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)
    later = friday_7am + dt.timedelta(hours=2)
    monkeypatch.setenv("DIGEST_SECRET", TEST_SECRET)
    with SmtpTestServer() as server:
        for name, value in server.environ().items():
            monkeypatch.setenv(name, value)
        proofed = run_issue(load_project_config(config), dt.date(2025, 3, 14), send=True, now=friday_7am)
        assert "awaiting approval" in proofed.line, proofed.line
    project = load_project_config(config)

    monkeypatch.setenv("DIGEST_SMTP_PORT", str(free_port()))  # nothing listens: neither send nor notice
    [down] = send_due_approvals_and_tell(project, now=later)
    assert down.exit_code == 3 and "the editors could not be told" in down.reason, down.line

    greylisted = Faults(refuse={readers[0]: "451 4.7.1 greylisted, come back later"})
    with SmtpTestServer(greylisted) as server:
        for name, value in server.environ().items():
            monkeypatch.setenv(name, value)
        results = [send_due_approvals_and_tell(project, now=later) for _ in range(2)]
        notices = _notices(server)
        assert server.copies[readers[1]] == server.copies[readers[2]] == 1
    first, second = (result for [result] in results)  # the next tick resumes the stopped send
    assert "resuming the send" in first.reason and "resuming the send" in second.reason, first.line
    assert first.exit_code == second.exit_code == 5, first.line
    assert first.reason.endswith("; the editors were told (1 of 1)"), first.line
    assert "; the editors were told 20" in second.reason, second.line
    # What the editors hear is how it stands now (the server is back; one reader deferred), once.
    assert [n["Subject"].strip() for n in notices] == [
        "[digest] 2025-W11 not sent to everyone: sending stopped part-way (exit 5)"
    ]
    body = _body(next(n for n in notices if "part-way" in n["Subject"]))
    assert "[PROOF] first" not in body
    assert _commands(notices[0]) == [
        shlex.join(["digest", "run", "--send", "--date", "2025-03-10", "--config", str(config.resolve())])
    ]
