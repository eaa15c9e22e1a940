"""The sending pool's feeder: recipients streamed into a small queue for the worker threads, so
memory stays flat, with a stop that every wait notices within a tenth of a second."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import TypeVar

Job = TypeVar("Job")


def feed(
    jobs_in: Iterable[Job],
    jobs: queue.Queue[Job | None],
    workers: list[threading.Thread],
    stop: threading.Event,
    halt: threading.Event,
) -> None:
    """Stream the jobs to the workers (until `halt`: the warm-up's allowance is used up), then
    one None each to end them; wait until they have."""
    for job in jobs_in:
        if halt.is_set() or not _put(jobs, job, workers, stop):
            break
    for _ in workers:
        _put(jobs, None, workers, stop)
    join(workers)


def _put(
    jobs: queue.Queue[Job | None], item: Job | None, workers: list[threading.Thread], stop: threading.Event
) -> bool:
    while not stop.is_set():
        if not any(w.is_alive() for w in workers):
            stop.set()  # every worker is gone: nobody left to send
            break
        try:
            jobs.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def join(workers: list[threading.Thread]) -> None:
    """Wait for every worker; join() with a timeout, so Ctrl-C reaches the main thread meanwhile."""
    for worker in workers:
        while worker.is_alive():
            worker.join(timeout=0.1)
