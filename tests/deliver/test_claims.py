"""The sending pool's claims: connections that reach their final dot on the same turn of the event
loop are claimed in one statement, each told its own answer; each claim is committed before its
connection goes on to write the dot."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest

from digest.deliver.claims import GroupClaims
from digest.deliver.ledger import SendLedger
from digest.deliver.splice import Recipient
from digest.store import Store
from digest.store.subscribers import add_subscriber, unsubscribe

ISSUE = "2025-W02"
START = dt.datetime(2025, 1, 10, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(five_readers: Store) -> Store:
    return five_readers


def _ledger(store: Store) -> SendLedger:
    ticks = itertools.count()  # every statement gets a time of its own
    return SendLedger(store, ISSUE, clock=lambda: START + dt.timedelta(seconds=next(ticks)))


def _claimed_at(store: Store) -> dict[int, str]:
    rows = store.fetchall("SELECT subscriber_id, updated_at FROM send_log WHERE issue_id = ?", (ISSUE,))
    return {row[0]: row[1] for row in rows}


def test_claims_made_on_one_turn_go_in_one_statement_each_with_its_answer(store: Store):
    ledger = _ledger(store)
    people = list(ledger.pending())
    unsubscribe(store, people[1].subscriber_id)  # since the page was read
    claims = GroupClaims(ledger)
    committed: dict[int, bool] = {}

    async def connection(recipient: Recipient) -> bool:
        won = await claims.claim(recipient)
        # Once told, the claim is in the store: the dot may go.
        committed[recipient.subscriber_id] = recipient.subscriber_id in _claimed_at(store)
        return won

    async def three_then_one() -> list[bool]:
        together = await asyncio.gather(*(connection(person) for person in people[:3]))
        return [*together, await connection(people[3])]

    assert asyncio.run(three_then_one()) == [True, False, True, True]
    times = _claimed_at(store)
    assert times[people[0].subscriber_id] == times[people[2].subscriber_id], "one statement"
    assert times[people[3].subscriber_id] != times[people[0].subscriber_id], "a later turn, its own"
    assert committed == {
        people[0].subscriber_id: True,
        people[1].subscriber_id: False,
        people[2].subscriber_id: True,
        people[3].subscriber_id: True,
    }


def test_a_write_that_fails_fails_each_claim_of_its_group_and_the_next_group_is_written(store: Store):
    ledger = _ledger(store)
    people = list(ledger.pending())
    claims = GroupClaims(ledger)
    store.execute("ALTER TABLE send_log RENAME TO send_log_away")  # the write fails, on either store

    async def group(recipients: list[Recipient]) -> list[object]:
        return await asyncio.gather(*(claims.claim(r) for r in recipients), return_exceptions=True)

    failed = asyncio.run(group(people[:2]))
    assert all(isinstance(e, Exception) and "send_log" in str(e) for e in failed), failed
    assert failed[0] is failed[1], "one write failed for both"
    store.execute("ALTER TABLE send_log_away RENAME TO send_log")
    assert asyncio.run(group(people[2:4])) == [True, True]
    assert set(_claimed_at(store)) == {people[2].subscriber_id, people[3].subscriber_id}


def test_a_large_group_is_one_statement_and_on_postgresql_five_arrays(store: Store):
    """Thirty claims and their queued "sent" rows (300 values): on PostgreSQL as five arrays, so
    the statement's text is the same whatever the group's size (psycopg parses a statement of
    more than 50 parameters again at every run); each claim told its own answer on either store."""
    for n in range(5, 35):
        add_subscriber(store, f"reader{n}@example.com", f"Reader {n}")
    ledger = _ledger(store)
    people = list(ledger.pending())
    assert ledger.claim_group(people[:30]) == [True] * 30
    for person in people[:30]:
        ledger.record_sent(person, "250 ok")
    statements: list[tuple[str, int]] = []
    fetchall = store.fetchall

    def recording(sql, parameters=()):
        statements.append((sql, len(parameters)))
        return fetchall(sql, parameters)

    store.fetchall = recording  # the real store underneath: it only notes what it is asked
    unsubscribe(store, people[31].subscriber_id)
    assert ledger.claim_group(people[30:35]) == [True, False, True, True, True]
    assert len(statements) == 1
    assert statements[0][1] == (5 if store.dialect == "postgresql" else 35 * 5)
    assert set(_claimed_at(store)) == {person.subscriber_id for person in people[:35]} - {
        people[31].subscriber_id
    }
