"""The sending pool's claims, written in groups from a thread of their own.

Every message is claimed in the send log (in flight) just before its final dot. On the event
loop that runs a process's connections, a claim written where it is asked for would stop every
connection for the write's round trip, and for as long as another process holds SQLite's write
lock. Instead a connection queues its claim and waits; one writer thread writes every claim
queued by then in one statement (SendLedger.claim_group), with the "sent" rows queued since,
while the loop goes on with the other connections. Each claim is still committed before its own
connection writes its dot, so a crash leaves no more rows in flight than there are connections.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from digest.deliver.ledger import Ledger
from digest.deliver.splice import Recipient


class GroupClaims:
    """One send's claims, for the coroutines of one event loop."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._queued: list[tuple[Recipient, asyncio.Future[bool]]] = []
        self._writing: asyncio.Task[None] | None = None
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="claims")

    async def claim(self, recipient: Recipient) -> bool:
        """Whether the recipient is ours to send to (see Ledger.claim), once the claim is committed."""
        loop = asyncio.get_running_loop()
        won = loop.create_future()
        self._queued.append((recipient, won))
        if self._writing is None:
            # On the loop's next turn: the connections that reach their dot on this one join in.
            self._writing = loop.create_task(self._write())
        return await won

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queued:
                group, self._queued = self._queued, []
                recipients = [recipient for recipient, _ in group]
                try:
                    won = await loop.run_in_executor(self._writer, self.ledger.claim_group, recipients)
                except Exception as e:  # each claim of the group fails alike (a store gone)
                    for _, future in group:
                        future.set_exception(e)
                    continue
                for (_, future), mine in zip(group, won, strict=True):
                    future.set_result(mine)
        finally:
            self._writing = None

    def close(self) -> None:
        self._writer.shutdown(wait=True)
