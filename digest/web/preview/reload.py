"""Live reload: watch the files issues are made from, and tell every open page when one changes.

A page is rendered with the hub's current token and opens `/events?since=TOKEN`; whenever the
token moves on (a watched file changed, or the server restarted) the page is told to reload.
Passing the token closes the gap between a page being rendered and its event stream opening.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

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
        self.last_changes: tuple[str, ...] = ()

    @property
    def token(self) -> str:
        return f"{self._boot}-{self._generation}"

    async def publish(self, paths: Iterable[str] = ()) -> None:
        async with self._changed:
            self._generation += 1
            self.last_changes = tuple(sorted(paths))
            self._changed.notify_all()

    async def wait_past(self, token: str) -> str:
        """Return the current token as soon as it differs from `token`."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.token != token)
            return self.token

    async def stream(self, since: str) -> AsyncIterator[dict[str, str]]:
        """Server-sent events: one "reload" each time the files change after `since`."""
        token = since
        while True:
            token = await self.wait_past(token)
            yield {"event": "reload", "data": token}


class FileWatcher:
    """Watches a set of folders and files (which may grow) and publishes changes to a hub."""

    def __init__(self, hub: ChangeHub) -> None:
        self._hub = hub
        self._paths: frozenset[Path] = frozenset()
        self._round_over = asyncio.Event()
        self._stopped = False

    def follow(self, paths: Iterable[Path]) -> None:
        """Watch these paths too; takes effect at once (the watch restarts with the new set)."""
        wanted = self._paths | {p.resolve() for p in paths}
        if wanted != self._paths:
            self._paths = frozenset(wanted)
            self._round_over.set()

    def stop(self) -> None:
        self._stopped = True
        self._round_over.set()

    async def run(self) -> None:
        while not self._stopped:
            self._round_over = asyncio.Event()
            folders = sorted(p for p in self._paths if p.is_dir())
            # A single file is watched through its folder: editors save by writing a new file and
            # renaming it over the old one, which a watch on the old file would never see.
            files = {p for p in self._paths if p.is_file()}
            parents = sorted({p.parent for p in files} - set(folders))
            if not folders and not parents:
                await self._round_over.wait()
                continue
            await asyncio.gather(
                self._watch(folders, recursive=True),
                self._watch(parents, recursive=False, only=files),
            )

    async def _watch(self, paths: list[Path], *, recursive: bool, only: set[Path] | None = None) -> None:
        if not paths:
            return
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
                stop_event=self._round_over,
            ):
                changed = [path for _, path in changes]
                log.info("changed: %s", ", ".join(changed))
                await self._hub.publish(changed)
        except FileNotFoundError as e:  # a watched folder was deleted: watch what is left
            log.info("stopped watching a path that is gone: %s", e)
            self._paths = frozenset(p for p in self._paths if p.exists())
            self._round_over.set()
