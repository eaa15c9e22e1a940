"""CPU-bound work over many inputs, spread over the machine's cores.

Parsing a feed is pure Python under the GIL, so threads cannot overlap it; processes can. A
process costs milliseconds to start and every result is pickled back, so this pays only for
many inputs: callers decide when (see digest/gather/sources.py), and get ``None`` back when it is not
worth it, not safe, or the pool could not do the work, so they can always do it themselves.

Workers are forked: they start with everything already imported, and they never re-run the
caller's ``__main__`` (a fork server or ``spawn`` would, and a script without a ``__main__``
guard would then run again in every worker). Forking is only safe while no other thread can
hold a lock the child might need, so the pool is only used when this is the only thread.
Results come back in the order of the inputs, whatever order the workers finish in.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

CHUNKS_PER_WORKER = 4
"""Inputs go to the workers in chunks: few enough to keep pickling cheap, enough to balance."""


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def can_fork_safely() -> bool:
    """Whether a forked child would start with no lock held by some other thread."""
    if threading.active_count() != 1 or threading.current_thread() is not threading.main_thread():
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def map_in_processes(
    function: Callable[[Item], Result], items: Sequence[Item], *, workers: int
) -> list[Result] | None:
    """``[function(item) for item in items]`` computed in ``workers`` forked processes, in order.

    ``function`` must be a module-level function that turns its errors into results. ``None``
    when the pool is not used (fewer than 2 workers or items, other threads running) or failed
    in any way (a worker died, a result would not pickle): the caller then does the work itself,
    so no input can lose the others' results.
    """
    if workers < 2 or len(items) < 2 or not can_fork_safely():
        return None
    chunksize = max(1, len(items) // (workers * CHUNKS_PER_WORKER))
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(function, items, chunksize=chunksize))
    except Exception as e:  # a dead worker (BrokenProcessPool), a result that will not pickle, ...
        log.debug("process pool failed (%s); working in this process instead", e)
        return None
