"""Live reload: watch the files issues are made from, and tell every open page when one changes.

A page is rendered with the hub's current token and opens `/events?since=TOKEN`; whenever the
token moves on (a watched file changed, or the server restarted) the page is told to reload.
Passing the token closes the gap between a page being rendered and its event stream opening.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import anyio
import watchfiles

log = logging.getLogger(__name__)

# Group a burst of writes (an editor saving several files, a formatter) into one reload, but
# answer a single save in well under a second.
DEBOUNCE_MS = 300
STEP_MS = 30


class ChangeHub:
    """A change counter that open pages can wait on."""

    def __init__(self) -> None:
        # A fresh boot id per server: a page from before a restart reloads once it reconnects.
        self._boot = secrets.token_hex(4)
        self._generation = 0
        self._changed = asyncio.Condition()

    @property
    def token(self) -> str:
        return f"{self._boot}-{self._generation}"

    async def publish(self) -> None:
        async with self._changed:
            self._generation += 1
            self._changed.notify_all()

    async def wait_past(self, token: str) -> str:
        """Return the current token as soon as it differs from `token`."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.token != token)
            return self.token

    async def next_change(self, token: str, stop: anyio.Event) -> str | None:
        """The token after the next change past `token`, or None if `stop` is set first."""
        changed: list[str] = []
        async with anyio.create_task_group() as group:

            async def on_change() -> None:
                changed.append(await self.wait_past(token))
                group.cancel_scope.cancel()

            async def on_stop() -> None:
                await stop.wait()
                group.cancel_scope.cancel()

            group.start_soon(on_change)
            group.start_soon(on_stop)
        return changed[0] if changed else None

    async def stream(self, since: str, stop: anyio.Event) -> AsyncIterator[dict[str, str]]:
        """Server-sent events: one "reload" each time the files change after `since`, until `stop`
        (the server shutting down: the stream then ends cleanly instead of being cut)."""
        token: str | None = since
        while token is not None:
            token = await self.next_change(token, stop)
            if token is not None:
                yield {"event": "reload", "data": token}


class FileWatcher:
    """Watches a growing set of folders and files and publishes their changes to a hub.

    Paths followed later get watches of their own; the ones already watched are never stopped
    and restarted, so no edit can fall into a gap between two watches.
    """

    def __init__(self, hub: ChangeHub) -> None:
        self._hub = hub
        self._folders: set[Path] = set()
        self._files: set[Path] = set()
        self._pending: list[tuple[list[Path], bool, set[Path] | None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._running = False
        # Files the app wrote itself (an editor's button), as written: it told the pages at once,
        # so the watcher's echo of the same write is not a second reload.
        self._expected: dict[str, tuple[int, int]] = {}

    def expect(self, paths: Iterable[Path]) -> None:
        """These files were just written by the app (which has published the change itself)."""
        for path in paths:
            stat = path.stat()
            self._expected[str(path.resolve())] = (stat.st_mtime_ns, stat.st_size)

    def _echo(self, path: str) -> bool:
        """Whether a change is only the app's own write, unchanged since (consumed when seen)."""
        expected = self._expected.get(path)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return False
        if expected is None or expected != (stat.st_mtime_ns, stat.st_size):
            return False
        del self._expected[path]
        return True

    def follow(self, paths: Iterable[Path]) -> None:
        """Watch these paths too (from the event loop's thread)."""
        folders, files = [], set()
        for path in (p.resolve() for p in paths):
            if any(path == f or path.is_relative_to(f) for f in self._folders):
                continue  # inside a folder watched already
            if path.is_dir():
                self._folders.add(path)
                folders.append(path)
            elif path.is_file() and path not in self._files:
                self._files.add(path)
                files.add(path)
        if folders:
            self._start(folders, recursive=True)
        # A single file is watched through its folder: editors save by writing a new file and
        # renaming it over the old one, which a watch on the old file would never see.
        for parent in sorted({f.parent for f in files}):
            self._start([parent], recursive=False, only={f for f in files if f.parent == parent})

    def _start(self, paths: list[Path], *, recursive: bool, only: set[Path] | None = None) -> None:
        if not self._running:
            self._pending.append((paths, recursive, only))
            return
        task = asyncio.create_task(self._watch(paths, recursive=recursive, only=only))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        """Watch until stop(); paths followed before this call are watched from here on."""
        self._running = True
        for paths, recursive, only in self._pending:
            self._start(paths, recursive=recursive, only=only)
        self._pending.clear()
        await self._stop.wait()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def stop(self) -> None:
        self._stop.set()

    async def _watch(self, paths: list[Path], *, recursive: bool, only: set[Path] | None = None) -> None:
        names = {str(p) for p in only} if only is not None else None
        default = watchfiles.DefaultFilter()

        def relevant(change: watchfiles.Change, path: str) -> bool:
            if names is not None and path not in names:
                return False
            return default(change, path) and not Path(path).name.startswith(".")

        try:
            async for changes in watchfiles.awatch(
                *paths,
                watch_filter=relevant,
                recursive=recursive,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
            ):
                changed = [path for _, path in changes]
                if all([self._echo(path) for path in changed]):
                    continue
                log.info("changed: %s", ", ".join(changed))
                await self._hub.publish()
        except FileNotFoundError as e:  # deleted before the watch began: nothing left to watch
            log.info("not watching a path that is gone: %s", e)
