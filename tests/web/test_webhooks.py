"""The providers' webhooks on `digest serve`'s app, over real HTTP on 127.0.0.1: correctly signed
requests suppress (a policy block does not); wrongly signed, unsigned, stale and replayed ones get
a 4xx and change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

import httpx
import pytest

from digest.deliver.tokens import SigningSecret
from digest.feedback.webhooks import MAX_BODY_BYTES
from digest.settings.webhooks import WebhookSecrets
from digest.store import open_store
from digest.store.feedback_log import ProcessedMessages
from digest.store.subscribers import add_subscriber
from digest.store.suppression import Reason, suppression_of
from digest.web.site.app import create_app
from tests.conftest import TEST_SECRET
from tests.web.servers import RunningServer

MAILGUN_KEY = b"key-mailgun-signing-test"
ADDRESSES = ("ana@example.com", "bo@example.com", "cy@example.com", "di@example.com")


@pytest.fixture
def site(tmp_path: Path):
    """`digest serve`'s app with every finished provider configured, and four subscribers."""
    store = open_store(tmp_path / "digest.db")
    for address in ADDRESSES:
        add_subscriber(store, address, None)
    secrets_ = WebhookSecrets(mailgun_signing_key=MAILGUN_KEY)
    app = create_app(store, SigningSecret(TEST_SECRET.encode(), "test"), webhooks=secrets_)
    with RunningServer(app) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        yield client, store
    store.close()


def mailgun_body(event: dict, *, key: bytes = MAILGUN_KEY, age: int = 0, token: str | None = None) -> bytes:
    timestamp = str(int(time.time()) - age)
    token = token or secrets.token_hex(25)
    signature = hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()
    payload = {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event,
    }
    return json.dumps(payload).encode()


def mailgun_failed(recipient: str, severity: str = "permanent", **extra) -> dict:
    return {
        "event": "failed",
        "id": secrets.token_hex(8),
        "recipient": recipient,
        "severity": severity,
        "reason": "bounce",
        "delivery-status": {"code": 550, "enhanced-code": "5.1.1", "description": "No such user"},
        **extra,
    }


def post(client: httpx.Client, provider: str, body: bytes, **headers: str) -> httpx.Response:
    return client.post(
        f"/webhooks/{provider}", content=body, headers={"Content-Type": "application/json", **headers}
    )


def test_mailgun_hard_bounce_and_complaint_suppress(site):
    client, store = site
    answer = post(client, "mailgun", mailgun_body(mailgun_failed("Ana@Example.com")))
    assert answer.status_code == 200, answer.text
    complaint = {"event": "complained", "id": "c1", "recipient": "bo@example.com"}
    assert post(client, "mailgun", mailgun_body(complaint)).status_code == 200
    ana, bo = suppression_of(store, "ana@example.com"), suppression_of(store, "bo@example.com")
    assert ana is not None and ana.reason is Reason.HARD_BOUNCE and "5.1.1" in ana.status_line
    assert bo is not None and bo.reason is Reason.COMPLAINT
    assert suppression_of(store, "cy@example.com") is None


def test_mailgun_policy_block_never_suppresses(site):
    client, store = site
    blocked = mailgun_failed("cy@example.com", reason="espblock")
    blocked["delivery-status"] = {"code": 554, "enhanced-code": "5.7.1", "description": "listed at Spamhaus"}
    answer = post(client, "mailgun", mailgun_body(blocked))
    assert answer.status_code == 200 and "policy block" in answer.text
    assert suppression_of(store, "cy@example.com") is None


@pytest.mark.parametrize(
    "body",
    [
        mailgun_body(mailgun_failed("ana@example.com"), key=b"another key"),
        mailgun_body(mailgun_failed("ana@example.com"), age=6 * 60),
        json.dumps({"event-data": mailgun_failed("ana@example.com")}).encode(),
        b"not json",
    ],
    ids=["forged", "stale", "unsigned", "garbage"],
)
def test_mailgun_refuses_what_it_cannot_verify(site, body):
    client, store = site
    answer = post(client, "mailgun", body)
    assert 400 <= answer.status_code < 500
    assert suppression_of(store, "ana@example.com") is None
    assert ProcessedMessages(store).count() == 0


def test_mailgun_replay_changes_nothing(site):
    client, store = site
    body = mailgun_body({"event": "unsubscribed", "id": "u1", "recipient": "di@example.com"})
    assert post(client, "mailgun", body).status_code == 200
    assert (suppression_of(store, "di@example.com") or pytest.fail()).reason is Reason.UNSUBSCRIBE
    rows = ProcessedMessages(store).count()
    assert post(client, "mailgun", body).status_code == 409
    # The same event under a fresh token (a provider's retry) is recognised by its event id.
    again = post(
        client, "mailgun", mailgun_body({"event": "unsubscribed", "id": "u1", "recipient": "di@example.com"})
    )
    assert again.status_code == 200 and "1 processed before" in again.text
    assert ProcessedMessages(store).count() == rows + 1  # only the new token


def test_body_size_is_capped_and_unconfigured_providers_are_absent(site):
    client, store = site
    assert post(client, "mailgun", b"{" + b" " * MAX_BODY_BYTES + b"}").status_code == 413
    assert post(client, "postmark-nope", b"{}").status_code == 404
    assert client.get("/webhooks/mailgun").status_code == 405
    assert ProcessedMessages(store).count() == 0
