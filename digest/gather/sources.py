"""Reading every source of the week: fetch, pick a reader, read; a broken source never stops the others.

Remote feeds are read in threads, so their downloads overlap; many local feeds are parsed in
worker processes, where the cores overlap too (see :func:`_read_local_feeds_in_processes`).
Gather as a whole has a deadline: the sources not read by then are reported as timed out and the
others are used (see :func:`_read_in_threads`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx

from digest.errors import SourceError
from digest.gather.deadline import Deadline
from digest.gather.fetch import load_document
from digest.gather.http import HttpCache, new_client
from digest.gather.process_pool import map_in_processes, usable_cores
from digest.gather.readers import ReadContext, StoryFolderReader, reader_for
from digest.gather.report import SourceOutcome
from digest.gather.window import Window
from digest.model import HttpPolicy, Source, SourceKind

if TYPE_CHECKING:
    from digest.settings import GatherConfig

HTTP_CACHE_DIR = "http-cache"

# Below this many local feeds, worker processes are not worth their start-up and pickling
# (measured on 2 cores, feeds of 100 entries: even at 4 feeds, 10-25% faster from 8 on, and
# 5,000 entries in 1.15 s against 2.1 s in one process).
MIN_FEEDS_FOR_PROCESSES = 8

DEFAULT_DEADLINE = 120.0
"""Seconds gather may take as a whole (each fetch has its own, shorter, total_timeout as well)."""


@dataclass(frozen=True, slots=True)
class GatherOptions:
    timezone: str = "UTC"
    """Dates without an offset are in this zone (the newsletter's)."""
    http: HttpPolicy = field(default_factory=HttpPolicy)
    state_dir: Path | None = None
    """Where the HTTP cache and the first-seen log live; None keeps nothing between runs."""
    workers: int = 8
    """Sources read at once: HTTP waits overlap; a publisher's server still sees one request."""
    deadline: float = DEFAULT_DEADLINE
    """Seconds for gathering as a whole: the sources still being read then are reported as timed
    out, and the stories of the others are used."""


DEFAULT_OPTIONS = GatherOptions()


def options_for(config: GatherConfig) -> GatherOptions:
    return GatherOptions(
        timezone=config.timezone,
        http=config.settings.http_policy(),
        state_dir=config.state_dir,
        deadline=config.settings.deadline,
    )


# Parsing is pure Python under the GIL: threads overlap the downloads, but parsing one document
# at a time is faster than several threads fighting over the interpreter (measured: 2.0 s against
# 2.4-3.2 s for 5,000 entries with 8 workers). Many local feeds are
# parsed in worker processes instead (_read_local_feeds_in_processes), where the cores do overlap.
_PARSING = threading.Lock()


def _read_source(
    source: Source,
    window: Window,
    zone: ZoneInfo,
    client: httpx.Client | None,
    policy: HttpPolicy,
    cache: HttpCache | None,
) -> SourceOutcome:
    outcome = SourceOutcome(source)
    context = ReadContext(source=source, timezone=zone, outside=window.drop_reason)
    try:
        if source.kind is SourceKind.FOLDER:
            outcome.fetched = outcome.format = "folder"
            with _PARSING:
                outcome.result = StoryFolderReader().read(Path(source.location), context)
        else:
            document = load_document(source, client=client, policy=policy, cache=cache)
            outcome.fetched = document.fetched
            reader = reader_for(document)
            outcome.format = reader.format
            with _PARSING:
                outcome.result = reader.read(document, context)
    except SourceError as e:
        outcome.error = e.message
    except Exception as e:  # the last line of defence: one broken source never stops the others
        outcome.error = f"unexpected error while reading ({type(e).__name__}: {e})"
    return outcome


def _read_local_feed(job: tuple[Source, Window, str, HttpPolicy]) -> SourceOutcome:
    """_read_source in a worker process: a local feed needs no HTTP client and no cache."""
    source, window, timezone, policy = job
    return _read_source(source, window, ZoneInfo(timezone), None, policy, None)


def _read_local_feeds_in_processes(
    sources: Sequence[Source], window: Window, options: GatherOptions
) -> dict[int, SourceOutcome]:
    """Local feed files read in parallel processes, by their index in ``sources``.

    Empty when there are too few to be worth it (or one core, or the pool failed): the caller
    then reads them in threads as it does remote ones. Each outcome is what _read_source makes
    of the source in this process, errors included.
    """
    indexes = [i for i, s in enumerate(sources) if s.kind is SourceKind.FEED and not s.is_remote]
    workers = min(usable_cores(), options.workers, len(indexes) // (MIN_FEEDS_FOR_PROCESSES // 2))
    if len(indexes) < MIN_FEEDS_FOR_PROCESSES or workers < 2:
        return {}
    jobs = [(sources[i], window, options.timezone, options.http) for i in indexes]
    outcomes = map_in_processes(_read_local_feed, jobs, workers=workers)
    return dict(zip(indexes, outcomes, strict=True)) if outcomes is not None else {}


def _read_in_threads(
    indexes: Sequence[int], read: Callable[[int], SourceOutcome], workers: int, deadline: Deadline
) -> tuple[dict[int, SourceOutcome], list[threading.Thread]]:
    """``read(i)`` for each index, ``workers`` at a time, as far as it gets by ``deadline``; and the
    threads, which may still be running (each fetch ends by its own deadline soon after).

    Daemon threads, not a ThreadPoolExecutor: the interpreter waits for an executor's threads
    before it exits, so a source stuck past the deadline would still hold `digest build` open.
    """
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in indexes:
        todo.put(index)
    finished: queue.SimpleQueue[tuple[int, SourceOutcome]] = queue.SimpleQueue()
    too_late = threading.Event()

    def work() -> None:
        while not too_late.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            finished.put((index, read(index)))

    threads = [threading.Thread(target=work, name="gather", daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    outcomes: dict[int, SourceOutcome] = {}
    while len(outcomes) < len(indexes) and not deadline.passed:
        try:
            index, outcome = finished.get(timeout=deadline.remaining())
        except queue.Empty:
            break
        outcomes[index] = outcome
    too_late.set()  # sources not started yet stay unread
    return outcomes, threads


def _close_when_done(client: httpx.Client, threads: Sequence[threading.Thread]) -> None:
    """Close ``client`` once no thread uses it any more: now, or when the last straggler ends."""

    def close() -> None:
        for thread in threads:
            thread.join()
        client.close()

    if any(thread.is_alive() for thread in threads):
        threading.Thread(target=close, name="gather-close", daemon=True).start()
    else:
        client.close()


def read_sources(
    sources: Sequence[Source], window: Window, options: GatherOptions, client: httpx.Client | None = None
) -> list[SourceOutcome]:
    """What each source gave, in the order of ``sources``; a source that failed carries its error,
    and one not read by ``options.deadline`` says it timed out.

    ``client`` is the caller's to close; without one, a client is made (and closed) when some
    source is read in this process.
    """
    deadline = Deadline.after(options.deadline)
    state_dir = options.state_dir
    cache = HttpCache(state_dir / HTTP_CACHE_DIR) if state_dir is not None else None
    zone = ZoneInfo(options.timezone)

    done = _read_local_feeds_in_processes(sources, window, options)
    rest = [i for i in range(len(sources)) if i not in done]
    http = client or (new_client(options.http) if rest else None)
    threads: list[threading.Thread] = []
    try:
        workers = max(1, min(options.workers, len(rest)))
        read, threads = _read_in_threads(
            rest,
            lambda i: _read_source(sources[i], window, zone, http, options.http, cache),
            workers,
            deadline,
        )
        done.update(read)
    finally:
        if client is None and http is not None:
            _close_when_done(http, threads)
    late = f"timed out: gather's {deadline.seconds:g} s deadline passed before it was read"
    return [done.get(i) or SourceOutcome(sources[i], error=late) for i in range(len(sources))]
