"""Run an ASGI app under uvicorn on a socket we bind ourselves, so a busy port is a clear error."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

from digest.errors import DigestError

# Open event streams (live reload) must not hold a stopping server for long.
GRACEFUL_SHUTDOWN_SECONDS = 2


class ServeError(DigestError):
    """The server cannot start: the address is taken, or is not one this machine has."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is in use; pass --port with another one") from None
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve_app(app: ASGIApp, *, host: str, port: int, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve `app` until Ctrl-C. `on_ready` gets the URL (with the real port when port is 0)."""
    sock = bind(host, port)
    config = uvicorn.Config(
        app,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready(url_of(sock))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down cleanly and re-raised Ctrl-C for us: stopping is the intent
    finally:
        sock.close()
