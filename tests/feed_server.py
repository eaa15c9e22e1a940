"""A real HTTP server on 127.0.0.1 that serves feeds the way publishers' servers behave and misbehave.

Started by the tests on a free port, in a thread; it stops itself when the `with` block ends, and
every slow response gives up after a few seconds even if nobody stops it.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
ETAG = '"meridian-2025-01-07T23:10"'
LAST_MODIFIED = "Tue, 07 Jan 2025 23:10:04 GMT"
LONGEST_STALL = 5.0
LONGEST_DRIBBLE = 20.0
"""A dribbling response gives up after this long, so a client that never hangs up cannot keep it."""
DRIBBLE_INTERVAL = 0.2


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    requests: list[Seen] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                server.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
                server.hits[self.path] += 1
                # The client may hang up mid-answer, as it should on slow and oversized ones.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.answer(self, self.path.split("?")[0])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def answer(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        route = ROUTES.get(path)
        if route is None:
            handler.send_error(404, "Not Found")
            return
        route(handler, self)


def _send(handler, body: bytes, content_type: str, status: int = 200, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def meridian_with_etag(handler, server) -> None:
    if handler.headers.get("If-None-Match") == ETAG:
        handler.send_response(304)
        handler.send_header("ETag", ETAG)
        handler.end_headers()
        return
    body = (FEEDS / "meridian-world.rss").read_bytes()
    _send(handler, body, "application/rss+xml; charset=utf-8", ETag=ETAG, Cache_Control="max-age=300")


def meridian_with_http_images(handler, server) -> None:
    """Meridian's feed as an older CMS serves it: every picture on its CDN over plain http://."""
    body = (FEEDS / "meridian-world.rss").read_bytes()
    body = body.replace(b"https://cdn.meridian-media.example/", b"http://cdn.meridian-media.example/")
    _send(handler, body, "application/rss+xml; charset=utf-8")


def youtube_with_last_modified(handler, server) -> None:
    if handler.headers.get("If-Modified-Since") == LAST_MODIFIED:
        handler.send_response(304)
        handler.end_headers()
        return
    body = (FEEDS / "youtube-channel.xml").read_bytes()
    _send(handler, body, "application/atom+xml; charset=UTF-8", Last_Modified=LAST_MODIFIED)


def gb2312_by_header(handler, server) -> None:
    # No XML declaration: only the HTTP header says what the bytes are.
    body = (FEEDS / "gangkou-ribao-gb2312.rss").read_bytes().split(b"?>", 1)[1].lstrip()
    _send(handler, body, "application/rss+xml; charset=gb2312")


def json_feed(handler, server) -> None:
    _send(handler, (FEEDS / "field-notes.json").read_bytes(), "application/feed+json")


def slow(handler, server) -> None:
    started = time.monotonic()
    while time.monotonic() - started < LONGEST_STALL and not server.stop.is_set():
        time.sleep(0.05)


def _dribble(handler, server, data: bytes) -> None:
    """Send ``data`` one byte every DRIBBLE_INTERVAL seconds: each read gets a byte long before any
    per-read timeout, so only a deadline over the whole request can stop the client."""
    started = time.monotonic()
    for byte in data:
        if server.stop.is_set() or time.monotonic() - started > LONGEST_DRIBBLE:
            return
        handler.wfile.write(bytes([byte]))
        time.sleep(DRIBBLE_INTERVAL)


def slow_headers(handler, server) -> None:
    """The status line and headers one byte at a time (hours of them, were the client to wait)."""
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n" + b"X-Padding: ...\r\n" * 10_000
    _dribble(handler, server, headers)


def slow_body(handler, server) -> None:
    """Prompt headers, then the feed one byte at a time."""
    body = (FEEDS / "meridian-world.rss").read_bytes()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    _dribble(handler, server, body)


def oversized_stream(handler, server) -> None:
    """11 MB of a feed with no Content-Length: only counting while reading can stop it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.end_headers()
    handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>')
    chunk = b"<!-- padding -->" * 4096
    for _ in range(11 * 1024 * 1024 // len(chunk) + 1):
        if server.stop.is_set():
            return
        handler.wfile.write(chunk)


def oversized_declared(handler, server) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", str(50 * 1024 * 1024))
    handler.end_headers()
    handler.wfile.write(b"<rss>")


def gzip_bomb(handler, server) -> None:
    """20 KB on the wire, 20 MB once decompressed."""
    body = gzip.compress(b"<rss>" + b" " * (20 * 1024 * 1024), compresslevel=9)
    _send(handler, body, "application/rss+xml", Content_Encoding="gzip")


def always_500(handler, server) -> None:
    handler.send_error(500, "Internal Server Error")


def unavailable_once(handler, server) -> None:
    if server.hits[handler.path] == 1:
        handler.send_error(503, "Service Unavailable")
        return
    meridian_with_etag(handler, server)


def moved(handler, server) -> None:
    handler.send_response(301)
    handler.send_header("Location", "/meridian.rss")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


ROUTES = {
    "/meridian.rss": meridian_with_etag,
    "/http-images.rss": meridian_with_http_images,
    "/youtube.xml": youtube_with_last_modified,
    "/gangkou.rss": gb2312_by_header,
    "/feed.json": json_feed,
    "/slow.rss": slow,
    "/slow-headers.rss": slow_headers,
    "/slow-body.rss": slow_body,
    "/huge.rss": oversized_stream,
    "/huge-declared.rss": oversized_declared,
    "/bomb.rss": gzip_bomb,
    "/broken.rss": always_500,
    "/flaky.rss": unavailable_once,
    "/old-address.rss": moved,
}
