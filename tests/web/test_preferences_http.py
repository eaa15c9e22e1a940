"""The preference page over real HTTP (issue 14): a uvicorn server on 127.0.0.1, started by the test.

A signed link per subscriber that keeps working; a forged or altered one gets 400 and changes
nothing; every form posts with a form token (CSRF); name, a pause that sends skip and that ends by
itself, unsubscribe, and re-subscribe after an unsubscribe (a consent event), never after a complaint.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from digest.clock import utc_now
from digest.deliver.ledger import SendLedger
from digest.deliver.preference_tokens import form_token, preferences_token
from digest.deliver.tokens import PROOF_SUBSCRIBER_ID, SigningSecret, make_token
from digest.model import SubscriberStatus
from digest.store import (
    ConsentKind,
    ConsentMethod,
    Evidence,
    consent_history,
    find_subscriber,
    open_store,
    record_complaint,
    record_hard_bounce,
    suppression_of,
)
from digest.store.subscribers import add_subscriber
from digest.web.site.app import create_app
from tests.conftest import TEST_SECRET
from tests.web.servers import RunningServer
from tests.web.test_unsubscribe_http import MALFORMED, forgeries

SECRET = TEST_SECRET.encode()


@pytest.fixture
def site(tmp_path: Path):
    store = open_store(tmp_path / "digest.db")
    app = create_app(store, SigningSecret(SECRET, "test"), newsletter_name="Meridian Daily")
    with RunningServer(app) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        yield client, store
    store.close()


@pytest.fixture
def ana(site):
    """Ana Lima, with her preference link's token; Bo beside her (whom nothing must change)."""
    subscriber = add_subscriber(site[1], "ana@example.com", "Ana Lima")[0]
    add_subscriber(site[1], "bo@example.com", "Bo")
    return subscriber, preferences_token(SECRET, subscriber.id, subscriber.email)


def form_of(page: str) -> str:
    """The form token the page's forms carry (the same in each)."""
    tokens = set(re.findall(r'name="form_token" value="([^"]+)"', page))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def post(client: httpx.Client, token: str, action: str, form: str, **fields: str) -> httpx.Response:
    return client.post(
        "/preferences", params={"token": token}, data={"action": action, "form_token": form, **fields}
    )


def row(store, address: str) -> dict:
    return dict(store.fetchone("SELECT * FROM subscribers WHERE email = ?", (address,)))


def test_the_page_shows_the_subscriber_with_a_form_token_on_every_form_and_get_changes_nothing(site, ana):
    client, store = site
    _, token = ana
    before = row(store, "ana@example.com")
    response = client.get("/preferences", params={"token": token})
    assert response.status_code == 200
    assert "ana@example.com" in response.text and 'value="Ana Lima"' in response.text
    forms = response.text.count("<form")
    assert forms == 3  # name, pause, unsubscribe
    assert response.text.count('name="form_token"') == forms
    assert [w for w in re.findall(r'name="weeks" value="(\d+)"', response.text)] == ["2", "4", "8"]
    assert response.headers["cache-control"] == "no-store"
    assert row(store, "ana@example.com") == before


def test_the_link_does_not_depend_on_the_issue_and_an_unsubscribe_token_is_not_one(site, ana):
    client, store = site
    subscriber, token = ana
    assert token == preferences_token(SECRET, subscriber.id, "ANA@example.com")  # no issue, no date in it
    unsubscribe_token = make_token(SECRET, subscriber.id, subscriber.email)
    assert client.get("/preferences", params={"token": unsubscribe_token}).status_code == 400
    form = form_of(client.get("/preferences", params={"token": token}).text)
    assert post(client, unsubscribe_token, "unsubscribe", form).status_code == 400
    assert (
        client.post(
            "/unsubscribe", params={"token": token}, data={"List-Unsubscribe": "One-Click"}
        ).status_code
        == 400
    )
    assert find_subscriber(store, "ana@example.com").status is SubscriberStatus.ACTIVE


def preference_forgeries(subscriber, token: str, other_id: int) -> list[str]:
    """The unsubscribe tests' forgeries of this token, and preference tokens signed wrongly."""
    return [
        *forgeries(subscriber, token, other_id),
        preferences_token(b"another-secret-entirely-xx", subscriber.id, subscriber.email),
        preferences_token(SECRET, subscriber.id, "mallory@example.com"),
        preferences_token(SECRET, 99999, subscriber.email),
        *MALFORMED,
    ]


def test_forged_or_altered_links_get_400_and_change_nothing(site, ana):
    client, store = site
    subscriber, token = ana
    form = form_of(client.get("/preferences", params={"token": token}).text)
    bo = find_subscriber(store, "bo@example.com")
    before = [row(store, "ana@example.com"), row(store, "bo@example.com")]
    for forged in preference_forgeries(subscriber, token, bo.id):
        assert client.get("/preferences", params={"token": forged}).status_code == 400, forged
        for action, fields in (("unsubscribe", {}), ("name", {"name": "Mallory"}), ("pause", {"weeks": "8"})):
            response = post(client, forged, action, form, **fields)
            assert response.status_code == 400, forged
            assert "not valid" in response.text
    assert [row(store, "ana@example.com"), row(store, "bo@example.com")] == before


def test_a_post_without_a_good_form_token_is_refused_and_changes_nothing(site, ana):
    client, store = site
    subscriber, token = ana
    bo = find_subscriber(store, "bo@example.com")
    bos_form = form_of(
        client.get("/preferences", params={"token": preferences_token(SECRET, bo.id, bo.email)}).text
    )
    good = form_of(client.get("/preferences", params={"token": token}).text)
    stale = form_token(SECRET, subscriber.id, subscriber.email, now=utc_now() - dt.timedelta(hours=25))
    before = row(store, "ana@example.com")
    for form in ("", "garbage", good[:-1] + ("A" if good[-1] != "A" else "B"), bos_form, stale):
        response = post(client, token, "unsubscribe", form)
        assert response.status_code == 400, form
        assert "Nothing was changed" in response.text
    no_field = client.post("/preferences", params={"token": token}, data={"action": "unsubscribe"})
    assert no_field.status_code == 400
    assert "expired" in post(client, token, "unsubscribe", stale).text
    assert row(store, "ana@example.com") == before


def test_the_name_changes_and_is_shown_escaped(site, ana):
    client, store = site
    _, token = ana
    form = form_of(client.get("/preferences", params={"token": token}).text)
    response = post(client, token, "name", form, name='Ana <b>"Lima"</b>\r\nBcc: x', first_name="Ana")
    assert response.status_code == 303 and response.headers["location"].startswith("?token=")
    page = client.get("/preferences" + response.headers["location"]).text
    assert "Your name is changed." in page
    assert "<b>" not in page and "&lt;b&gt;" in page
    changed = find_subscriber(store, "ana@example.com")
    assert (changed.name, changed.first_name) == ('Ana <b>"Lima"</b> Bcc: x', "Ana")  # one line
    too_long = post(client, token, "name", form, name="x" * 201)
    assert too_long.status_code == 400 and find_subscriber(store, "ana@example.com").name == changed.name


def test_a_pause_is_skipped_by_sends_and_ends_by_itself(site, ana):
    client, store = site
    _, token = ana
    form = form_of(client.get("/preferences", params={"token": token}).text)
    assert post(client, token, "pause", form, weeks="3").status_code == 400  # 2, 4 or 8 only
    response = post(client, token, "pause", form, weeks="4")
    assert response.status_code == 303
    page = client.get("/preferences" + response.headers["location"]).text
    assert "Your pause is set." in page and "Resume now" in page
    until = dt.datetime.fromisoformat(row(store, "ana@example.com")["paused_until"])
    assert abs(until - (utc_now() + dt.timedelta(weeks=4))) < dt.timedelta(minutes=1)

    def recipients(at: dt.datetime) -> list[str]:
        ledger = SendLedger(store, "2025-W02", clock=lambda: at)
        return [r.email for r in ledger.pending()] + [f"count {ledger.count_pending()}"]

    assert recipients(utc_now()) == ["bo@example.com", "count 1"]
    assert recipients(until + dt.timedelta(seconds=1)) == ["ana@example.com", "bo@example.com", "count 2"]
    assert (
        find_subscriber(store, "ana@example.com").status is SubscriberStatus.ACTIVE
    )  # paused, not suppressed
    resumed = post(client, token, "resume", form)
    assert "the next issue comes to you" in client.get("/preferences" + resumed.headers["location"]).text
    assert recipients(utc_now()) == ["ana@example.com", "bo@example.com", "count 2"]


def test_unsubscribe_and_come_back_from_the_same_page_with_consent_events(site, ana):
    client, store = site
    subscriber, token = ana
    form = form_of(client.get("/preferences", params={"token": token}).text)
    left = post(client, token, "unsubscribe", form)
    assert left.status_code == 303
    page = client.get("/preferences" + left.headers["location"]).text
    assert "You are unsubscribed." in page and "Subscribe again" in page
    assert suppression_of(store, "ana@example.com").reason == "unsubscribe"
    assert suppression_of(store, "ana@example.com").status_line == "preference page"
    again = post(client, token, "unsubscribe", form)  # a second click changes nothing
    assert "Nothing needed changing." in client.get("/preferences" + again.headers["location"]).text
    back = post(client, token, "resubscribe", form_of(page))
    assert "Welcome back" in client.get("/preferences" + back.headers["location"]).text
    assert find_subscriber(store, "ana@example.com").status is SubscriberStatus.ACTIVE
    assert suppression_of(store, "ana@example.com") is None
    events = consent_history(store, subscriber.id)
    assert [(e.kind, e.method, e.source) for e in events] == [
        (ConsentKind.WITHDRAWN, ConsentMethod.PREFERENCES, "preference page"),
        (ConsentKind.RENEWED, ConsentMethod.PREFERENCES, "preference page"),
    ]


@pytest.mark.parametrize("record", ["complaint", "hard-bounce"])
def test_a_complaint_or_a_hard_bounce_is_not_lifted_from_the_page(site, ana, record):
    client, store = site
    subscriber, token = ana
    if record == "complaint":
        record_complaint(store, "ana@example.com", Evidence("abuse", "<arf-1@mx.example>"))
    else:
        record_hard_bounce(store, "ana@example.com", Evidence("5.1.1 user unknown"))
    page = client.get("/preferences", params={"token": token}).text
    assert "Subscribe again" not in page and "refused or reported" in page
    response = post(client, token, "resubscribe", form_of(page))
    assert response.status_code == 303 and "changed=nothing" in response.headers["location"]
    assert suppression_of(store, "ana@example.com").reason == record
    assert find_subscriber(store, "ana@example.com").status is not SubscriberStatus.ACTIVE
    assert [e.kind for e in consent_history(store, subscriber.id)] == []


def test_a_proofs_link_shows_the_page_and_changes_nobody(site, ana):
    client, store = site
    token = preferences_token(SECRET, PROOF_SUBSCRIBER_ID, "editor@example.com")
    assert "came from a proof" in client.get("/preferences", params={"token": token}).text
    before = row(store, "ana@example.com")
    assert (
        client.post("/preferences", params={"token": token}, data={"action": "unsubscribe"}).status_code
        == 200
    )
    assert row(store, "ana@example.com") == before
