"""The preview as a desk (issue 17) for tests: users in a store, the app served on 127.0.0.1 with a
DeskGate (what `digest preview --host` off loopback builds), and logging in over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from lxml import html as lxml_html

from digest.settings import load_project_config
from digest.settings.desk import DeskSettings
from digest.store import Store, open_store
from digest.store.desk import add_user
from digest.web.preview import create_preview_app
from digest.web.preview.desk import DeskGate
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import subscribe, tidewater_project
from tests.smtp_server import Faults, SmtpTestServer
from tests.web.servers import RunningServer

PASSWORD = "correct horse battery"
USERS = {"ed": "editor", "pat": "publisher", "ada": "admin"}


def add_users(store: Store) -> None:
    for name, role in USERS.items():
        add_user(store, name, role, PASSWORD)


def desk_server(root: Path, store: Store, **settings: object) -> RunningServer:
    gate = DeskGate(DeskSettings.model_validate(settings), store)
    return RunningServer(create_preview_app(root, allowed_hosts=None, watch=False, desk=gate))


def logged_in(base: str, name: str, password: str = PASSWORD) -> httpx.Client:
    """A client holding `name`'s login cookie."""
    client = httpx.Client(base_url=base, timeout=30)
    answer = client.post("/login", data={"name": name, "password": password})
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(page: httpx.Response) -> str:
    return lxml_html.document_fromstring(page.text).xpath("//input[@name='csrf']/@value")[0]


@contextmanager
def tidewater_desk(
    root: Path, monkeypatch, readers: int, faults: Faults | None = None
) -> Iterator[tuple[str, list[str], Store, SmtpTestServer]]:
    """The tidewater sample (no approval step) with `readers` subscribers and the desk's users,
    served as a desk with aiosmtpd as its mail server: (base URL, readers, store, SMTP server)."""
    config = tidewater_project(root / "tidewater")
    addresses = subscribe(config, readers)
    store = open_store(load_project_config(config).delivery.store_path)
    add_users(store)
    try:
        with SmtpTestServer(faults) as smtp, desk_server(config.parent, store) as server:
            for name, value in smtp.environ(DIGEST_SECRET=TEST_SECRET).items():
                monkeypatch.setenv(name, value)
            yield server.url.rstrip("/"), addresses, store, smtp
    finally:
        store.close()
