"""GET /c/<token> (302 to the link's original URL) and GET /o/<token> (the open pixel), counted.

The request does the least it can: check the token's signature (a forged, altered or truncated
token gets 400 and goes nowhere), note the click in memory, answer. A flusher thread judges the
clicks once their burst window has passed (click_judge.py) and writes them in one transaction
every `FLUSH_SECONDS`, or sooner once `FLUSH_CLICKS` are waiting; stopping (SIGTERM: uvicorn's
graceful shutdown, then `ClickCounter.stop`) judges and writes everything still in memory. A
SIGKILL loses what is in memory: the clicks of the last `[tracking] burst_seconds` plus one flush
interval (6 seconds by default).
"""

from __future__ import annotations

import base64
import datetime as dt
import sys
import threading
import time
from collections import deque

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from digest.deliver.click_tokens import ClickToken, clicker_key, read_click_token
from digest.deliver.tokens import InvalidToken
from digest.settings.tracking import TrackingSettings
from digest.store import Store, StoreError
from digest.store.clicks import Click, record_clicks
from digest.web.site.click_judge import ClickJudge, Seen

FLUSH_SECONDS = 1.0
FLUSH_CLICKS = 2000
RELOAD_DELIVERIES_SECONDS = 10.0
"""An unknown message's delivery time is looked up again at most this often (copies still going out)."""
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
"""A transparent 1×1 GIF."""
_NO_STORE = {"Cache-Control": "private, no-store"}


class DeliveryTimes:
    """When each message of an issue was delivered (the send log's updated_at of its 'sent' row),
    by clicker key: computed from the subscriber ids with the secret, never stored."""

    def __init__(self, store: Store, secret: bytes) -> None:
        self.store = store
        self.secret = secret
        self.issues: dict[str, tuple[float, dict[str, float]]] = {}

    def __call__(self, issue_id: str, clicker: str) -> float | None:
        loaded, times = self.issues.get(issue_id, (float("-inf"), {}))
        if clicker not in times and time.monotonic() - loaded >= RELOAD_DELIVERIES_SECONDS:
            times = self._load(issue_id)
            self.issues[issue_id] = (time.monotonic(), times)
        return times.get(clicker)

    def _load(self, issue_id: str) -> dict[str, float]:
        rows = self.store.fetchall(
            "SELECT subscriber_id, updated_at FROM send_log WHERE issue_id = ? AND state = 'sent'",
            (issue_id,),
        )
        return {
            clicker_key(self.secret, issue_id, row["subscriber_id"]): _epoch(row["updated_at"])
            for row in rows
        }


def _epoch(stamp: str) -> float:
    when = dt.datetime.fromisoformat(stamp)
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


class ClickCounter:
    """Clicks noted from the event loop, judged and written by one thread."""

    def __init__(self, store: Store, secret: bytes, settings: TrackingSettings) -> None:
        self.store = store
        self.settings = settings
        self.judge = ClickJudge(settings, DeliveryTimes(store, secret))
        self.incoming: deque[Seen] = deque()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="click-flusher", daemon=True)
        self.written = 0
        self.unwritten: list[Click] = []
        """Judged clicks a store error kept from being written: tried again at the next flush."""

    def note(self, seen: Seen) -> None:
        self.incoming.append(seen)  # deque.append is atomic: no lock on the request's path
        if len(self.incoming) >= FLUSH_CLICKS:
            self.wake.set()

    def start(self) -> ClickCounter:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Judge and write every click still in memory (the server is stopping)."""
        self.stopping.set()
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join()
        else:
            self.flush(everything=True)

    def flush(self, *, everything: bool = False) -> int:
        while self.incoming:
            self.judge.add(self.incoming.popleft())
        self.unwritten += self.judge.release(time.time(), everything=everything)
        if not self.unwritten:
            return 0
        try:
            written = record_clicks(self.store, self.unwritten)
        except StoreError as e:  # a full disk, a lock held too long: the clicks wait for the next flush
            print(f"warning: clicks not written yet ({len(self.unwritten)} waiting): {e}", file=sys.stderr)
            return 0
        self.unwritten = []
        self.written += written
        return written

    def _run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(FLUSH_SECONDS)
            self.wake.clear()
            self.flush()
        self.flush(everything=True)


class ClickRoutes:
    def __init__(self, secret: bytes, counter: ClickCounter | None) -> None:
        self.secret = secret
        self.counter = counter
        """None: [tracking] is off on this server; links of earlier issues still redirect."""

    def _note(self, request: Request, token: ClickToken, counting: bool) -> None:
        if self.counter is None or not token.counted or not counting:
            return
        self.counter.note(
            Seen(token, time.time(), _request_reason(request), request.headers.get("user-agent", ""))
        )

    async def click(self, request: Request) -> Response:
        try:
            token = read_click_token(self.secret, request.path_params["token"])
        except InvalidToken:
            return PlainTextResponse("This link is not valid.\n", status_code=400, headers=_NO_STORE)
        counting = self.counter is not None and self.counter.settings.clicks
        self._note(request, token, counting)
        # The URL went into the token as the issue had it (already an absolute, encoded http(s) URL).
        return Response(status_code=302, headers={**_NO_STORE, "Location": token.link.url})

    async def pixel(self, request: Request) -> Response:
        try:
            token = read_click_token(self.secret, request.path_params["token"])
        except InvalidToken:
            return PlainTextResponse("Not valid.\n", status_code=400, headers=_NO_STORE)
        self._note(request, token, self.counter is not None and self.counter.settings.opens)
        return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


def _request_reason(request: Request) -> str:
    if request.method == "HEAD":
        return "head"
    purpose = f"{request.headers.get('purpose', '')} {request.headers.get('sec-purpose', '')}".lower()
    return "prefetch" if "prefetch" in purpose or "prerender" in purpose else ""


def click_routes(secret: bytes, counter: ClickCounter | None) -> list[Route]:
    routes = ClickRoutes(secret, counter)
    return [
        Route("/c/{token}", routes.click, methods=["GET", "HEAD"]),
        Route("/o/{token}", routes.pixel, methods=["GET", "HEAD"]),
    ]
