"""A real HTTP server on 127.0.0.1 serving web pages as publishers do, for `digest add` and the
preview's "Add a story by URL": article pages, a redirect, a 404, a PDF and an oversized page."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.feed_server import FeedServer, _send, oversized_stream

PAGES = Path(__file__).parent / "fixtures" / "pages"


class PageServer(FeedServer):
    """The feed server's thread and lifetime, answering with pages instead of feeds."""

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        page = PAGES / f"{path.strip('/')}.html"
        if path.startswith("/to/"):  # a redirect hop to another host name of this server
            handler.send_response(302)
            handler.send_header("Location", self.url("/news-article", host=path.split("/")[2]))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif path == "/report.pdf":
            _send(handler, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf")
        elif path == "/huge":
            oversized_stream(handler, self)  # 11 MB with no Content-Length, over the 10 MB cap
        elif page.is_file():
            _send(handler, page.read_bytes(), "text/html; charset=utf-8")
        else:  # the feed server's misbehaving answers (/slow, ...), else 404
            super().answer(handler, path)
