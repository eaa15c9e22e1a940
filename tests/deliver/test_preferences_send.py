"""The preference page as a send sees it (issue 14): real sends to aiosmtpd on 127.0.0.1, the link in
every message's footer (HTML and text) answered over real HTTP, and a paused subscriber skipped
until the pause ends."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from digest.clock import utc_now
from digest.deliver.send import Purpose, link_values, send_issue
from digest.deliver.splice import Recipient
from digest.deliver.tokens import SigningSecret
from digest.pipeline import compose_folder, prepare_folder
from digest.store import find_subscriber, open_store
from digest.store.preferences import pause, resume
from digest.store.subscribers import add_subscriber
from digest.web.site.app import create_app
from tests.conftest import SAMPLE_WEEKS, TEST_SECRET
from tests.smtp_server import SmtpTestServer
from tests.web.servers import RunningServer

ENV = {"DIGEST_SECRET": TEST_SECRET}
PEOPLE = ["ana@example.com", "bo@example.org", "cy@example.net"]
BASE = "https://newsletters.meridian-media.example/daily"
PREFERENCES = re.compile(re.escape(BASE) + r"/preferences\?token=[\w.-]+")


@pytest.fixture
def list_of_three(send_project: Path):
    """The Meridian issue ready to send, and a list of PEOPLE (the store the issue's config names)."""
    prepared = prepare_folder(send_project, Purpose.SEND, environ=ENV)
    store = open_store(prepared.delivery.store_path)
    for address in PEOPLE:
        add_subscriber(store, address)
    yield prepared, store
    store.close()


def test_a_paused_subscriber_is_skipped_until_the_pause_ends(list_of_three):
    prepared, store = list_of_three
    bo, cy = find_subscriber(store, "bo@example.org"), find_subscriber(store, "cy@example.net")
    pause(store, bo.id, 2)
    pause(store, cy.id, 2, now=utc_now() - dt.timedelta(weeks=3))  # a pause that ended a week ago
    with SmtpTestServer() as server:
        first = send_issue(prepared, store, environ={**ENV, **server.environ()})
        assert server.copies == {"ana@example.com": 1, "cy@example.net": 1}
        assert first.complete
        resume(store, bo.id)
        send_issue(prepared, store, environ={**ENV, **server.environ()})
    assert server.copies == dict.fromkeys(PEOPLE, 1)


def test_every_message_links_to_its_own_preference_page_which_answers(list_of_three):
    prepared, store = list_of_three
    with SmtpTestServer() as server:
        send_issue(prepared, store, environ={**ENV, **server.environ()})
    app = create_app(store, SigningSecret(TEST_SECRET.encode(), "test"), newsletter_name="Meridian Daily")
    links = {}
    with RunningServer(app) as site, httpx.Client(timeout=5) as client:
        for received in server.received:
            message = received.message()
            (address,) = received.rcpt_tos
            html = message.get_body(("html",)).get_content().replace("&amp;", "&")
            text = message.get_body(("plain",)).get_content()
            (link,) = set(PREFERENCES.findall(html))
            assert PREFERENCES.findall(text) == [link]
            assert "Manage your subscription" in html
            page = client.get(link.replace(BASE, site.url.rstrip("/")))
            assert page.status_code == 200 and address in page.text
            links[address] = link
    assert len(set(links.values())) == len(PEOPLE)
    # The next issue (another week) carries the very same link: it keeps working across issues.
    later = compose_folder(SAMPLE_WEEKS["tidewater"]).issue
    ana = find_subscriber(store, "ana@example.com")
    values = link_values(later, TEST_SECRET.encode())(Recipient(ana.email, subscriber_id=ana.id))
    assert values.preferences_url.split("?")[1] == links["ana@example.com"].split("?")[1]
