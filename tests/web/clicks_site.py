"""A project with [tracking] on, sent to a real SMTP server, and the site that counts its clicks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from digest.deliver.click_tokens import TrackedLink, clicker_key, link_part, sign_link, who_part
from digest.deliver.send import Purpose, send_issue
from digest.deliver.tokens import SigningSecret
from digest.pipeline import prepare_folder
from digest.settings.tracking import TrackingSettings
from digest.store import Store
from digest.store.subscribers import add_subscriber
from digest.web.site.app import create_app
from digest.web.site.clicks import ClickCounter
from tests.conftest import TEST_SECRET
from tests.smtp_server import SmtpTestServer

SECRET = TEST_SECRET.encode()
ENV = {"DIGEST_SECRET": TEST_SECRET}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
PEOPLE = ["ana@example.com", "bo@example.org", "chidi@example.net"]
_TRACKED = re.compile(r"https?://[^\s\"'<>]+/[co]/[A-Za-z0-9_.~-]+")


def tracking_toml(base_url: str, **keys: object) -> str:
    lines = ["[tracking]", "clicks = true", f'base_url = "{base_url.rstrip("/")}"']
    lines += [
        f"{key} = {str(value).lower() if isinstance(value, bool) else value}" for key, value in keys.items()
    ]
    return "\n".join(lines) + "\n"


def site_app(store: Store, settings: TrackingSettings):
    counter = ClickCounter(store, SECRET, settings)
    return create_app(store, SigningSecret(SECRET, "test"), clicks=counter), counter


@dataclass
class Copy:
    """One received message: its plain-text and HTML parts and the tracked links in each."""

    to: str
    text: str
    html: str

    def links(self, part: str = "html") -> list[str]:
        return list(dict.fromkeys(_TRACKED.findall(self.html if part == "html" else self.text)))


def send_tracked(
    project: Path, store: Store, smtp: SmtpTestServer, purpose: Purpose = Purpose.SEND
) -> list[Copy]:
    for address in PEOPLE:
        add_subscriber(store, address, "")
    prepared = prepare_folder(project, purpose, environ=ENV)
    send_issue(prepared, store, environ={**ENV, **smtp.environ()})
    return [copy_of(received.data, received.rcpt_tos[0]) for received in smtp.received]


def copy_of(data: bytes, to: str) -> Copy:
    message = BytesParser(policy=policy.default).parsebytes(data)
    text, html = (message.get_body((kind,)) for kind in ("plain", "html"))
    assert text is not None and html is not None
    return Copy(to, text.get_content(), html.get_content())


def made_token(
    issue_id: str, slot: str, url: str, *, number: int = 0, total: int = 3, subscriber: int = 1
) -> str:
    """A token as a send makes it, for tests that need no send."""
    link = link_part(TrackedLink(issue_id, slot, number, total, url))
    return sign_link(SECRET, link, who_part(clicker_key(SECRET, issue_id, subscriber), None))
