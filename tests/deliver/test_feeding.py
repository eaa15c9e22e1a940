"""The pool's recipients, handed to its connections as each comes free: the list, then those parked
for a domain's back-off as it ends; the end only once nobody holds one that could still be parked."""

from __future__ import annotations

import asyncio
import threading

from digest.deliver.feeding import Jobs
from digest.deliver.splice import Recipient
from digest.deliver.throttle import BackOff, Parking

PEOPLE = [Recipient(email=f"reader{n}@example.com", subscriber_id=n) for n in range(3)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttled(people: list[Recipient], parking: Parking, clock: Clock) -> Jobs:
    return Jobs(iter(people), stop=threading.Event(), halt=threading.Event(), parking=parking, clock=clock)


def test_the_list_then_nothing_when_no_send_is_throttled():
    jobs = Jobs(iter(PEOPLE), stop=threading.Event(), halt=threading.Event())
    assert [jobs.take_now() for _ in PEOPLE] == PEOPLE
    assert jobs.take_now() is None
    assert asyncio.run(jobs.next()) is None


def test_a_parked_recipient_comes_back_when_its_back_off_ends_and_then_the_end():
    clock, parking = Clock(), Parking()
    jobs = Jobs(
        iter(PEOPLE[:1]), stop=threading.Event(), halt=threading.Event(), parking=parking, clock=clock
    )

    async def connection() -> list[Recipient | None]:
        first = await jobs.next()
        assert first is not None
        parking.park(first, BackOff("example.com", clock.now + 0.2, "421 4.7.0 slow down"))
        jobs.done()  # parked, not told
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, setattr, clock, "now", clock.now + 0.3)
        again = await jobs.next()
        jobs.done()
        return [first, again, await jobs.next()]

    assert asyncio.run(connection()) == [PEOPLE[0], PEOPLE[0], None]


def test_the_end_waits_while_another_connection_holds_a_recipient():
    clock, parking = Clock(), Parking()
    jobs = Jobs(
        iter(PEOPLE[:1]), stop=threading.Event(), halt=threading.Event(), parking=parking, clock=clock
    )
    held = jobs.take_now()
    assert held is not None
    ended = []

    async def both() -> None:
        async def idle_connection() -> None:
            ended.append(await jobs.next())

        waiting = asyncio.create_task(idle_connection())
        await asyncio.sleep(0.2)
        assert not ended, "the other connection may still park its recipient"
        jobs.done()
        await asyncio.wait_for(waiting, 2)

    asyncio.run(both())
    assert ended == [None]


def test_a_halt_hands_out_nobody_more():
    halt = threading.Event()
    jobs = Jobs(iter(PEOPLE), stop=threading.Event(), halt=halt)
    assert jobs.take_now() == PEOPLE[0]
    halt.set()
    assert jobs.take_now() is None and asyncio.run(jobs.next()) is None
