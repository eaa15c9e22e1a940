"""The leases of a send shared by workers (digest/store/leases.py): batches, expiry, hand-back.

Workers on "other hosts" are played by `SendLeases` with another ThisProcess and a clock moved
by hand, so an expired lease is told from a live one without waiting.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.send import refuse_beside_workers
from digest.deliver.splice import Recipient
from digest.store import IssueLocked, open_store
from digest.store.leases import SendLeases, WorkerCounts
from digest.store.run_history import ThisProcess, issue_lock
from digest.store.subscribers import add_subscriber

ISSUE = "2025-W02"
T0 = dt.datetime(2025, 1, 8, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def store(store_at):
    """On SQLite and on PostgreSQL."""
    store = open_store(store_at("leases.db"))
    for n in range(25):
        add_subscriber(store, f"reader{n:02d}@example.com")
    yield store
    store.close()


def _on(host: str, store, clock: Clock) -> SendLeases:
    me = ThisProcess(host, os.getpid(), "boot-" + host)
    return SendLeases(store, ISSUE, clock=clock, lease_seconds=30, me=me)


def test_batches_cover_every_subscriber_and_a_joiner_keeps_the_plan(store):
    clock = Clock()
    leases = _on("mail-1", store, clock)
    plan = leases.start('{"first": true}', T0, batch_size=10)
    again = _on("mail-2", store, clock).start('{"second": true}', T0 + dt.timedelta(hours=1), batch_size=10)
    assert again.issue_json == plan.issue_json == '{"first": true}' and again.date == T0
    worker = leases.register()
    batches = [leases.claim(worker) for _ in range(4)]
    assert batches[3] is None and [b.number for b in batches[:3]] == [0, 1, 2]
    ids = [row[0] for row in store.fetchall("SELECT id FROM subscribers ORDER BY id")]
    covered = [i for i in ids if any(b.first_id <= i <= b.last_id for b in batches[:3])]
    assert covered == ids and batches[2].last_id > 2**60  # later sign-ups fall in the last batch


def test_an_expired_lease_goes_back_and_its_rows_in_flight_become_uncertain(store):
    clock = Clock()
    gone_host, other = _on("mail-1", store, clock), _on("mail-2", store, clock)
    gone_host.start("{}", T0, batch_size=100)
    dead = gone_host.register()
    batch = gone_host.claim(dead)
    assert batch is not None
    ledger = SendLedger(store, ISSUE)
    first, second = (Recipient(f"reader{n:02d}@example.com", subscriber_id=n + 1) for n in range(2))
    assert ledger.claim(first) and ledger.claim(second)
    ledger.record(first, SendState.SENT, "250 ok")  # the second is cut off after its final dot

    live = other.register()
    clock.now += dt.timedelta(seconds=29)
    assert other.claim(live) is None, "a lease not yet expired stays its worker's"
    assert {worker.host for worker in other.live_workers()} == {"mail-1", "mail-2"}
    clock.now += dt.timedelta(seconds=2)
    taken = other.claim(live)
    assert taken == batch
    assert ledger.counts()[SendState.UNCERTAIN] == 1 and ledger.uncertain() == ["reader01@example.com"]
    assert ledger.counts()[SendState.SENT] == 1
    assert gone_host.heartbeat(dead, WorkerCounts()) == 0, "the old worker lost it"


def test_a_single_process_send_waits_for_the_workers_and_settle_spares_live_leases(store):
    clock = Clock()
    leases = SendLeases(store, ISSUE)  # this process, the real clock: a live worker
    leases.start("{}", T0, batch_size=10)
    worker = leases.register()
    batch = leases.claim(worker)
    assert batch is not None
    ledger = SendLedger(store, ISSUE)
    in_batch = Recipient("reader00@example.com", subscriber_id=1)
    assert ledger.claim(in_batch)
    with issue_lock(store, ISSUE):
        assert leases.settle() == 0, "a live worker's row in flight is not settled"
    with pytest.raises(IssueLocked, match="being sent by workers"):
        refuse_beside_workers(store, ISSUE)
    leases.end(worker, WorkerCounts())
    assert _on("mail-2", store, clock).live_workers() == []


def test_a_new_plan_takes_the_issue_until_someone_has_it(store):
    leases = _on("mail-1", store, Clock())
    leases.start('{"v": 1}', T0, batch_size=100)
    store.execute("UPDATE send_leases SET state = 'done'")
    assert leases.start('{"v": 2}', T0, batch_size=100).issue_json == '{"v": 2}', "nobody had v1"
    store.execute("UPDATE send_leases SET state = 'done'")
    assert leases.start('{"v": 3}', T0, batch_size=100, replace=False).issue_json == '{"v": 2}'
    assert leases.joined() is not None and leases.joined().issue_json == '{"v": 2}'
