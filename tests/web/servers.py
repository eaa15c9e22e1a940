"""Real servers for tests: an ASGI app under uvicorn on 127.0.0.1, on a free port, in a thread."""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.types import ASGIApp

from digest.web.serving import bind, url_of


class RunningServer:
    """`with RunningServer(app) as server:` serves `app` at `server.url` until the block ends."""

    def __init__(self, app: ASGIApp) -> None:
        self._socket = bind("127.0.0.1", 0)
        self.url = url_of(self._socket)
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="test-uvicorn", daemon=True
        )

    def __enter__(self) -> RunningServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        assert not self._thread.is_alive(), "the test server did not stop"
