"""`digest run --send` as a real process against a broken or hostile SMTP server: the exit code
and the one line say what happened, and the week is recorded sent only when it was.

- nothing listening: exit 3 at once, naming host and port;
- every recipient deferred (451): exit 5, saying what the server said;
- every recipient refused alike (550): exit 3, nobody marked bounced;
- a copy whose fate is uncertain (the server took the dot and vanished, or the run was killed):
  the line gives the send log's real count, the week stays `sending` (exit 5) until
  `--resend-uncertain` settles it.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

from digest.deliver.ledger import SendLedger
from digest.settings import load_project_config
from digest.store import IssueHistory, IssueState, count_by_status, open_store
from tests.deliver.processes import digest, finish, wait_for_copies
from tests.schedule_fixtures import subscribe, tidewater_project
from tests.smtp_server import Faults, SmtpTestServer, free_port

ISSUE = "2025-W11"


def _run(config: Path, server: SmtpTestServer, *extra: str, env: dict[str, str] | None = None):
    return digest(server, "run", "--config", config, "--date", "2025-03-14", "--send", *extra, extra_env=env)


def _state(config: Path) -> tuple[IssueState | None, list[str], dict]:
    """The week's state, the log's uncertain addresses, and the subscribers by status."""
    store = open_store(load_project_config(config).delivery.store_path)
    try:
        record = IssueHistory(store).get(ISSUE)
        state = record.state if record else None
        return state, SendLedger(store, ISSUE).uncertain(), count_by_status(store)
    finally:
        store.close()


def _last_line(out: str, err: str) -> str:
    return (out + err).strip().splitlines()[-1]


def test_nothing_listening_is_exit_3_at_once_naming_host_and_port(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    subscribe(config, 3)
    port = free_port()
    started = time.monotonic()
    with SmtpTestServer() as server:
        code, out, err = finish(_run(config, server, env={"DIGEST_SMTP_PORT": str(port)}))
    assert code == 3, out + err
    assert time.monotonic() - started < 20, "it retried for a minute instead of saying so"
    line = _last_line(out, err)
    assert line.startswith("error: ") and f"cannot reach 127.0.0.1:{port}: " in line, line
    assert "Connection refused" in line


def test_every_recipient_deferred_is_exit_5_saying_what_the_server_said(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    subscribe(config, 3)
    with SmtpTestServer(Faults(refuse_every_rcpt="451 4.7.1 greylisted, come back later")) as server:
        code, out, err = finish(_run(config, server))
    assert code == 5, out + err
    line = _last_line(out, err)
    assert "3 deferred (451 4.7.1 greylisted, come back later)" in line, line
    assert "3 still to send: the next run resumes" in line
    assert _state(config)[0] is IssueState.SENDING


def test_every_recipient_refused_alike_is_exit_3_and_bounces_nobody(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, 25)
    with SmtpTestServer(Faults(refuse_every_rcpt="550 5.7.1 relaying denied")) as server:
        code, out, err = finish(_run(config, server))
    assert code == 3, out + err
    line = _last_line(out, err)
    assert "the server refused the first 20 recipients alike (550 5.7.1 relaying denied)" in line, line
    state, _, statuses = _state(config)
    assert statuses["bounced"] == 0 and statuses["active"] == len(readers)
    assert state is IssueState.SENDING


def test_an_uncertain_copy_keeps_the_week_sending_until_it_is_settled(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, 20)
    faults = Faults(vanish_after_data={readers[1]})  # takes the message, never answers
    with SmtpTestServer(faults) as server:
        first = finish(_run(config, server))
        faults.vanish_after_data.clear()
        resumed = finish(_run(config, server))
        settled = finish(_run(config, server, "--resend-uncertain"))
        copies = server.copies
        again = finish(_run(config, server))

    assert first[0] == 5, first
    line = _last_line(*first[1:])
    assert "sent to 19 subscribers (0 failed, 1 uncertain, " in line, line
    assert "1 uncertain may or may not have their copy: `digest run --send --resend-uncertain" in line
    assert resumed[0] == 5, resumed
    assert "resuming the send; sent to 19 subscribers (0 this run, 0 failed, 1 uncertain" in resumed[2]
    assert settled[0] == 0, settled
    assert "resuming the send; sent to 20 subscribers (1 this run, 0 failed, 0 uncertain" in settled[1]
    assert again[0] == 0 and "already sent" in again[1]
    assert _state(config)[0] is IssueState.SENT
    assert copies[readers[1]] == 2  # what --resend-uncertain risks, by design: the server had it
    assert all(copies[reader] == 1 for reader in readers if reader != readers[1])


def test_a_killed_run_resumes_and_reports_the_logs_real_uncertain_count(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, 1500)
    with SmtpTestServer() as server:
        killed = _run(config, server)
        wait_for_copies(killed, server, 300, time.monotonic() + 90)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        code, out, err = finish(_run(config, server))
        copies = server.copies

    state, uncertain, _ = _state(config)
    line = _last_line(out, err)
    reported = int(re.search(r"(\d+) uncertain", line).group(1))
    assert reported == len(uncertain), line
    if uncertain:
        assert code == 5 and state is IssueState.SENDING, line
    else:
        assert code == 0 and state is IssueState.SENT, line
    assert max(copies.values()) == 1
    assert set(readers) - set(copies) <= set(uncertain), "a reader was left out without being reported"
