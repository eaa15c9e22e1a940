"""The unsubscribe endpoints over real HTTP: a uvicorn server on 127.0.0.1, started by the test."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.cli import main
from digest.deliver.tokens import PROOF_SUBSCRIBER_ID, SigningSecret, make_token
from digest.model import SubscriberStatus
from digest.store import open_store
from digest.store.subscribers import add_subscriber, find_subscriber
from digest.web.site.app import create_app
from tests.conftest import TEST_SECRET
from tests.smtp_server import free_port

SECRET = TEST_SECRET.encode()
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def site(tmp_path: Path):
    store = open_store(tmp_path / "digest.db")
    app = create_app(store, SigningSecret(SECRET, "test"), newsletter_name="Meridian Daily")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    base = f"http://127.0.0.1:{server.config.port}"
    with httpx.Client(base_url=base, timeout=5) as client:
        yield client, store
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


@pytest.fixture
def ana(site):
    _, store = site
    subscriber, _ = add_subscriber(store, "ana@example.com", "Ana")
    add_subscriber(store, "bo@example.com", "Bo")
    return subscriber, make_token(SECRET, subscriber.id, subscriber.email)


def status(store, address: str) -> SubscriberStatus:
    return find_subscriber(store, address).status


def test_get_shows_a_confirm_page_and_changes_nothing(site, ana):
    client, store = site
    _, token = ana
    response = client.get("/unsubscribe", params={"token": token})
    assert response.status_code == 200
    assert "Unsubscribe from Meridian Daily?" in response.text
    assert "ana@example.com" in response.text
    assert response.text.count("<button") == 1
    assert 'name="List-Unsubscribe" value="One-Click"' in response.text
    assert response.headers["cache-control"] == "no-store"
    assert status(store, "ana@example.com") is SubscriberStatus.ACTIVE


def test_one_click_post_unsubscribes_and_answers_200_every_time(site, ana):
    client, store = site
    _, token = ana
    first = client.post("/unsubscribe", params={"token": token}, data=ONE_CLICK)
    assert first.status_code == 200 and "You are unsubscribed" in first.text
    subscriber = find_subscriber(store, "ana@example.com")
    assert subscriber.status is SubscriberStatus.UNSUBSCRIBED
    assert subscriber.status_changed_at is not None
    again = client.post("/unsubscribe", params={"token": token}, data=ONE_CLICK)
    assert again.status_code == 200
    assert find_subscriber(store, "ana@example.com").status_changed_at == subscriber.status_changed_at
    assert "You are unsubscribed" in client.get("/unsubscribe", params={"token": token}).text
    assert status(store, "bo@example.com") is SubscriberStatus.ACTIVE


def test_a_one_click_unsubscribe_is_on_the_suppression_list_with_reason_unsubscribe(site, ana, tmp_path):
    client, _ = site
    _, token = ana
    assert client.post("/unsubscribe", params={"token": token}, data=ONE_CLICK).status_code == 200
    command = ["subscribers", "--db", str(tmp_path / "digest.db"), "suppressed", "--reason", "unsubscribe"]
    listed = CliRunner().invoke(main, command).stdout.splitlines()
    assert [line.split("\t")[:2] + line.split("\t")[3:4] for line in listed] == [
        ["ana@example.com", "unsubscribe", "unsubscribe link"]
    ]


def test_one_click_as_mail_providers_send_it_multipart(site, ana):
    client, store = site
    _, token = ana
    response = client.post(
        "/unsubscribe", params={"token": token}, files={"List-Unsubscribe": (None, "One-Click")}
    )
    assert response.status_code == 200
    assert status(store, "ana@example.com") is SubscriberStatus.UNSUBSCRIBED


def test_the_confirm_pages_button_unsubscribes(site, ana):
    client, store = site
    _, token = ana
    page = client.get("/unsubscribe", params={"token": token}).text
    action = page.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    response = client.post("/unsubscribe" + action, data=ONE_CLICK)
    assert response.status_code == 200
    assert status(store, "ana@example.com") is SubscriberStatus.UNSUBSCRIBED


def forgeries(subscriber, token: str, other_id: int) -> list[str]:
    head, mac = token.split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    return [
        "",
        "garbage",
        f"{head}.",
        f"{head}.{flipped}",  # altered signature
        f"{other_id:x}.{mac}",  # someone else's id with Ana's signature
        make_token(b"another-secret-entirely-xx", subscriber.id, subscriber.email),  # wrong key
        make_token(SECRET, subscriber.id, "mallory@example.com"),  # signed for another address
        make_token(SECRET, 99999, subscriber.email),  # nobody
        token + "x",
        token.upper(),
        "0x" + token,
        f"0.{mac}",  # a proof's id with a subscriber's signature
    ]


def test_forged_or_altered_tokens_get_400_and_change_nothing(site, ana):
    client, store = site
    subscriber, token = ana
    bo = find_subscriber(store, "bo@example.com")
    for forged in forgeries(subscriber, token, bo.id):
        assert client.get("/unsubscribe", params={"token": forged}).status_code == 400, forged
        response = client.post("/unsubscribe", params={"token": forged}, data=ONE_CLICK)
        assert response.status_code == 400, forged
        assert "not valid" in response.text
    assert status(store, "ana@example.com") is SubscriberStatus.ACTIVE
    assert status(store, "bo@example.com") is SubscriberStatus.ACTIVE


def test_a_post_without_the_one_click_body_is_refused(site, ana):
    client, store = site
    _, token = ana
    assert client.post("/unsubscribe", params={"token": token}).status_code == 400
    assert client.post("/unsubscribe", params={"token": token}, data={"x": "y"}).status_code == 400
    assert status(store, "ana@example.com") is SubscriberStatus.ACTIVE


def test_a_proofs_link_works_and_unsubscribes_nobody(site, ana):
    client, store = site
    token = make_token(SECRET, PROOF_SUBSCRIBER_ID, "editor@example.com")
    assert "came from a proof" in client.get("/unsubscribe", params={"token": token}).text
    assert client.post("/unsubscribe", params={"token": token}, data=ONE_CLICK).status_code == 200
    assert status(store, "ana@example.com") is SubscriberStatus.ACTIVE


MALFORMED = [
    "ffffffffffffffff.AAAA",  # past SQLite's integers: was an OverflowError, a 500
    "8000000000000000." + "A" * 22,
    "-1." + "A" * 22,
    "+1." + "A" * 22,
    "\u0661." + "A" * 22,  # an Arabic-Indic digit, which int() reads as 1
    "1." + "A" * 200,
    ".",
    "." * 40,
]


def test_every_malformed_token_is_a_400_never_a_500(site, ana):
    client, store = site
    for token in MALFORMED:
        assert client.get("/unsubscribe", params={"token": token}).status_code == 400, token
        assert client.post("/unsubscribe", params={"token": token}, data=ONE_CLICK).status_code == 400, token
    raw = client.get("/unsubscribe?token=ffffffffffffffff.%FF%FE")
    assert raw.status_code == 400
    assert status(store, "ana@example.com") is SubscriberStatus.ACTIVE


HEX_HEADED = st.builds(
    "{}.{}".format,
    st.text("0123456789abcdef", min_size=15, max_size=17),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=24),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=HEX_HEADED | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_any_token_over_http_is_answered_400(site, ana, token: str):
    client, _ = site
    _, real = ana
    answer = client.get("/unsubscribe", params={"token": token}).status_code
    assert answer == (200 if token == real else 400), token
