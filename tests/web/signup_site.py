"""A project with [signup] on, served for real: the public app under uvicorn on 127.0.0.1 with its
sign-up mailer thread, sending through an aiosmtpd server; helpers to fill in the form."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from digest.deliver import SigningSecret
from digest.settings import load_delivery_settings
from digest.store import Store, open_store
from digest.web.site.app import create_app
from digest.web.site.signup import start_signup
from tests.conftest import TEST_SECRET
from tests.smtp_server import Received, SmtpTestServer
from tests.web.servers import RunningServer
from tests.web.test_serve_base_path import PROJECT as NEWSLETTER

SECRET = TEST_SECRET.encode()
CONSENT = "Yes, send me The Weekly every Friday. I can unsubscribe at any time."
PROJECT = (
    NEWSLETTER
    + """
[store]
path = "digest.db"

[smtp]
security = "none"
concurrency = 1
retry_delay = 0.05
retries = 1
timeout = 5

[signup]
enabled = true
privacy_url = "https://example.org/privacy"
consent_text = "{consent}"
allowed_origins = ["https://news.example.com", "https://blog.example.net"]
{extra}
"""
)
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def write_project(folder: Path, **settings: object) -> Path:
    extra = "\n".join(f"{key} = {_toml(value)}" for key, value in settings.items())
    path = folder / "digest.toml"
    path.write_text(PROJECT.format(consent=CONSENT, extra=extra), encoding="utf-8")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


class SignupSite:
    def __init__(self, client: httpx.Client, store: Store, smtp: SmtpTestServer) -> None:
        self.client, self.store, self.smtp = client, store, smtp

    def form_token(self) -> str:
        page = self.client.get("/subscribe")
        assert page.status_code == 200, page.text
        found = TOKEN.search(page.text)
        assert found, page.text
        return found[1]

    def sign_up(
        self, email: str, name: str = "", *, token: str | None = None, **extra: str
    ) -> httpx.Response:
        data = {
            "email": email,
            "name": name,
            "form_token": token or self.form_token(),
            "website": "",
            **extra,
        }
        return self.client.post("/subscribe", data=data)

    def mail_to(self, address: str, count: int = 1, wait: float = 10.0) -> list[Received]:
        """The messages received for `address`, once there are `count` (waiting up to `wait` s)."""
        deadline = time.monotonic() + wait
        while True:
            found = [m for m in self.smtp.received if address in m.rcpt_tos]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def pending(self) -> int:
        return self.store.fetchvalue("SELECT COUNT(*) FROM pending_signups")


def confirm_link(message: Received) -> str:
    """The confirmation link's path and query (the link itself names the public base_url)."""
    text = message.message().get_body(("plain",)).get_content()
    found = re.search(r"https://example\.org/weekly(/confirm\?token=\S+)", text)
    assert found, text
    return found[1]


@contextmanager
def signup_site(folder: Path, **settings: object) -> Iterator[SignupSite]:
    config = write_project(folder, **settings)
    with SmtpTestServer() as smtp:
        delivery = load_delivery_settings(config)
        store = open_store(delivery.delivery.store_path)
        started = start_signup(store, SECRET, delivery, environ=smtp.environ())
        assert started is not None
        pages, mailer = started
        try:
            server = RunningServer(create_app(store, SigningSecret(SECRET, "test"), signup=pages))
            with server, httpx.Client(base_url=server.url, timeout=10) as client:
                yield SignupSite(client, store, smtp)
        finally:
            mailer.stop()
            store.close()


def serve_process(folder: Path, smtp_port: int) -> tuple[subprocess.Popen[str], str]:
    """`digest serve --port 0` in `folder` as its own process, its mail server at `smtp_port`;
    the process and the site's address once it answers."""
    env = {
        **os.environ,
        "DIGEST_SECRET": TEST_SECRET,
        "DIGEST_SMTP_HOST": "127.0.0.1",
        "DIGEST_SMTP_PORT": str(smtp_port),
    }
    digest = Path(sys.executable).parent / "digest"
    server = subprocess.Popen(
        [str(digest), "serve", "--port", "0"], cwd=folder, env=env, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    found = re.search(r"on (http://127\.0\.0\.1:\d+/weekly/) ", server.stdout.readline())
    assert found, "digest serve did not say where it listens"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(found[1] + "healthz", timeout=2)
            return server, found[1]
        except httpx.TransportError:
            assert time.monotonic() < deadline, "digest serve did not start"
            time.sleep(0.05)
