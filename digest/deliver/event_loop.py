"""The event loop a send runs on: its own, in the calling thread or beside it, and waits on it
that a stop from any thread (a signal handler, a lost lease) cuts short."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

STOP_POLL = 0.1
"""Seconds between looks at a stop while waiting (a threading.Event: any thread may set it)."""

Result = TypeVar("Result")


async def pause(stop: threading.Event, seconds: float) -> bool:
    """Wait `seconds`, or less when `stop` is set meanwhile: True then."""
    end = time.monotonic() + seconds
    while not stop.is_set():
        left = end - time.monotonic()
        if left <= 0:
            return False
        await asyncio.sleep(min(left, STOP_POLL))
    return True


def run_on_own_loop(main: Coroutine[Any, Any, Result]) -> Result:
    """Run `main` on an event loop of its own: here, or in a thread of its own when this thread
    already runs one (a web app's handler)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main)
    outcome: list[Result] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(main))
        except BaseException as e:
            failure.append(e)

    thread = threading.Thread(target=run, name="send-loop")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
