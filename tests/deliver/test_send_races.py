"""Races against a running `digest send`, with real processes and a real SMTP server (aiosmtpd).

- A second `digest send` of the same issue, or a `digest run --send` of its week, started while the
  first sends: the issue's run lock lets one send; the other exits 4 naming the holder. Counted on
  the server: every subscriber has exactly one copy, nobody is left uncertain, and the week is not
  recorded sent while subscribers are missing.
- Subscribers unsubscribed or erased while the send runs: the unsubscribed get nothing (the
  claim re-checks the status), the erased are skipped, and the send goes on.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from digest.deliver.ledger import SendLedger, SendState
from digest.settings import load_project_config
from digest.store import IssueHistory, IssueState, Store, open_store
from digest.store.personal_data import erase_subscriber
from digest.store.subscribers import find_subscriber, unsubscribe
from tests.deliver.processes import digest, finish, wait_for_copies
from tests.schedule_fixtures import subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer

ISSUE = "2025-W11"
READERS = 1500


def _store(config: Path) -> Store:
    return open_store(load_project_config(config).delivery.store_path)


def _holder_line(err: str, pid: int) -> bool:
    expected = f"error: {ISSUE} is being built or sent by pid {pid} on {socket.gethostname()} since "
    return err.strip().splitlines()[-1].startswith(expected)


def _assert_each_reader_has_one_copy(config: Path, server: SmtpTestServer, readers: list[str]) -> None:
    assert server.copies == dict.fromkeys(readers, 1), "a reader got the issue twice, or not at all"
    store = _store(config)
    try:
        ledger = SendLedger(store, ISSUE)
        assert ledger.uncertain() == [], "a live send's messages were made uncertain by the other"
        assert ledger.counts()[SendState.SENT] == len(readers)
    finally:
        store.close()


def test_a_second_send_of_the_issue_while_one_runs_waits_its_turn(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, READERS)
    issue = config.parent / "2025-03-14"
    with SmtpTestServer() as server:
        first = digest(server, "send", issue, "--concurrency", "4")
        wait_for_copies(first, server, 100, time.monotonic() + 60)
        second = digest(server, "send", issue, "--concurrency", "4")
        second_code, second_out, second_err = finish(second)
        first_code, _, first_err = finish(first)
        _assert_each_reader_has_one_copy(config, server, readers)

    assert first_code == 0, first_err
    assert second_code == 4, second_err
    assert _holder_line(second_err, first.pid), second_err
    assert second_out == ""


def test_two_sends_of_the_issue_started_together_send_each_copy_once(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, READERS)
    issue = config.parent / "2025-03-14"
    with SmtpTestServer() as server:
        together = [digest(server, "send", issue), digest(server, "send", issue)]
        ends = [finish(process) for process in together]
        _assert_each_reader_has_one_copy(config, server, readers)
    # One sends; the other is told who holds the issue (or, started after, finds nothing left).
    assert sorted(code for code, _, _ in ends) in ([0, 0], [0, 4]), ends


def test_a_run_of_the_week_during_a_send_is_told_who_holds_it(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, READERS)
    run = ("run", "--config", config, "--date", "2025-03-14", "--send")
    with SmtpTestServer() as server:
        sending = digest(server, "send", config.parent / "2025-03-14", "--concurrency", "4")
        wait_for_copies(sending, server, 100, time.monotonic() + 60)
        during = finish(digest(server, *run))
        store = _store(config)
        record = IssueHistory(store).get(ISSUE)
        store.close()
        sent_code, _, sent_err = finish(sending)
        after = finish(digest(server, *run))  # the week, once the send is over: nothing more to send
        _assert_each_reader_has_one_copy(config, server, readers)

    assert sent_code == 0, sent_err
    assert during[0] == 4 and _holder_line(during[2], sending.pid), during
    assert record is None or record.state is not IssueState.SENT, "recorded sent while readers wait"
    # `digest send` records the week sent, as a run does (issue 12: 17): the run does not build it again.
    assert after[0] == 0 and "2025-W11: already sent (" in after[1], after


def test_addresses_unsubscribed_or_erased_during_a_send_get_nothing(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, 120)
    leaving, erased = readers[60:75], readers[90:95]
    with SmtpTestServer() as server:
        # 40 messages a second: the send takes 3 s, and the later readers' turn is over a second away.
        sending = digest(server, "send", config.parent / "2025-03-14", "--rate", "40")
        wait_for_copies(sending, server, 10, time.monotonic() + 60)
        store = _store(config)
        for address in leaving:
            unsubscribe(store, find_subscriber(store, address).id)
        for address in erased:
            erase_subscriber(store, address, b"erasure salt")
        code, _, err = finish(sending)
        copies = server.copies

    assert code == 0, err
    assert "Traceback" not in err
    assert not set(leaving) & set(copies), "an unsubscribed address still got the issue"
    assert not set(erased) & set(copies), "an erased address still got the issue"
    assert copies == {address: 1 for address in readers if address not in leaving + erased}
    ledger = SendLedger(store, ISSUE)
    assert ledger.uncertain() == [] and ledger.count_pending() == 0
    logged = store.fetchall(
        "SELECT s.email FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id WHERE l.issue_id = ?",
        (ISSUE,),
    )
    assert not {row[0] for row in logged} & set(leaving), "the log claims they were sent"
    store.close()
