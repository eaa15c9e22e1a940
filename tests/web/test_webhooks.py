"""The providers' webhooks on `digest serve`'s app, over real HTTP on 127.0.0.1: correctly signed
requests suppress (a policy block does not); wrongly signed, unsigned, stale and replayed ones get
a 4xx and change nothing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from digest.deliver.tokens import SigningSecret
from digest.feedback.webhooks import MAX_BODY_BYTES, Refused
from digest.feedback.webhooks.ses import SIGNED_FIELDS, check_cert_url, check_subscribe_url
from digest.settings.webhooks import WebhookSecrets
from digest.store import StoreBusy, open_store
from digest.store.feedback_log import ProcessedMessages
from digest.store.subscribers import add_subscriber
from digest.store.suppression import Reason, suppression_of
from digest.web.site.app import create_app
from tests.conftest import TEST_SECRET
from tests.web.servers import RunningServer
from tests.web.test_serve_base_path import PROJECT as NEWSLETTER

MAILGUN_KEY = b"key-mailgun-signing-test"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
).decode()
POSTMARK = ("postmark", "correct horse battery staple")
ADDRESSES = ("ana@example.com", "bo@example.com", "cy@example.com", "di@example.com")


SES_TOPIC = "arn:aws:sns:eu-west-1:123456789012:digest-feedback"
SES_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed_certificate(key: rsa.RSAPrivateKey) -> bytes:
    """A certificate made here, standing in for Amazon's (configured as trusted in the test)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test.invalid")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.PEM)


@pytest.fixture
def site(tmp_path: Path):
    """`digest serve`'s app with every finished provider configured, and four subscribers."""
    store = open_store(tmp_path / "digest.db")
    for address in ADDRESSES:
        add_subscriber(store, address, None)
    trusted = tmp_path / "sns.pem"
    trusted.write_bytes(self_signed_certificate(SES_KEY))
    secrets_ = WebhookSecrets(
        mailgun_signing_key=MAILGUN_KEY,
        sendgrid_public_key=SENDGRID_PUBLIC,
        postmark_credentials=POSTMARK,
        ses_topic_arn=SES_TOPIC,
        ses_trusted_certificate=trusted,
    )
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
    assert post(client, "nobody", b"{}").status_code == 404
    assert client.get("/webhooks/mailgun").status_code == 405
    assert ProcessedMessages(store).count() == 0


def sendgrid_request(events: list[dict], *, key=SENDGRID_KEY, age: int = 0) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(events).encode()
    timestamp = str(int(time.time()) - age)
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }
    return body, headers


def sendgrid_events() -> list[dict]:
    return [
        {
            "email": "ana@example.com",
            "event": "bounce",
            "type": "bounce",
            "status": "5.1.1",
            "reason": "550 5.1.1 unknown user",
            "sg_event_id": "sg-1",
        },
        {"email": "bo@example.com", "event": "spamreport", "sg_event_id": "sg-2"},
        {
            "email": "cy@example.com",
            "event": "bounce",
            "type": "blocked",
            "status": "5.7.1",
            "reason": "blocked by Spamhaus",
            "sg_event_id": "sg-3",
        },
        {"email": "di@example.com", "event": "delivered", "sg_event_id": "sg-4"},
    ]


def test_sendgrid_signed_events_suppress_except_blocks(site):
    client, store = site
    body, headers = sendgrid_request(sendgrid_events())
    answer = post(client, "sendgrid", body, **headers)
    assert answer.status_code == 200, answer.text
    assert (suppression_of(store, "ana@example.com") or pytest.fail()).reason is Reason.HARD_BOUNCE
    assert (suppression_of(store, "bo@example.com") or pytest.fail()).reason is Reason.COMPLAINT
    assert suppression_of(store, "cy@example.com") is None  # a policy block never suppresses
    assert suppression_of(store, "di@example.com") is None
    assert post(client, "sendgrid", body, **headers).status_code == 409  # replayed
    # Signed anew (a retry), the same events are recognised by sg_event_id: nothing new.
    body, headers = sendgrid_request(sendgrid_events(), age=2)
    assert "4 processed before" in post(client, "sendgrid", body, **headers).text


def _tampered() -> tuple[bytes, dict[str, str]]:
    body, headers = sendgrid_request(sendgrid_events())
    return body.replace(b"sg-1", b"sg-9"), headers


@pytest.mark.parametrize(
    "request_",
    [
        sendgrid_request(sendgrid_events(), key=ec.generate_private_key(ec.SECP256R1())),
        sendgrid_request(sendgrid_events(), age=6 * 60),
        (sendgrid_request(sendgrid_events())[0], {}),
        _tampered(),
    ],
    ids=["forged", "stale", "unsigned", "tampered"],
)
def test_sendgrid_refuses_what_it_cannot_verify(site, request_):
    client, store = site
    body, headers = request_
    assert 400 <= post(client, "sendgrid", body, **headers).status_code < 500
    assert suppression_of(store, "ana@example.com") is None
    assert ProcessedMessages(store).count() == 0


def postmark_bounce(email: str, bounce_type: str, event_id: int) -> bytes:
    record = {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": bounce_type,
        "Email": email,
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1",
    }
    return json.dumps(record).encode()


def test_postmark_needs_its_credentials(site):
    client, store = site
    body = postmark_bounce("ana@example.com", "HardBounce", 42)
    assert post(client, "postmark", body).status_code == 401
    assert client.post("/webhooks/postmark", content=body, auth=("postmark", "wrong")).status_code == 401
    assert client.post("/webhooks/postmark", content=body, auth=("someone", POSTMARK[1])).status_code == 401
    assert suppression_of(store, "ana@example.com") is None and ProcessedMessages(store).count() == 0
    assert client.post("/webhooks/postmark", content=body, auth=POSTMARK).status_code == 200
    assert (suppression_of(store, "ana@example.com") or pytest.fail()).reason is Reason.HARD_BOUNCE
    assert client.post("/webhooks/postmark", content=body, auth=POSTMARK).status_code == 409  # replayed


def test_postmark_complaint_unsubscribe_and_block(site):
    client, store = site
    complaint = {"RecordType": "SpamComplaint", "ID": 7, "Type": "SpamComplaint", "Email": "bo@example.com"}
    change = {
        "RecordType": "SubscriptionChange",
        "Recipient": "di@example.com",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "ChangedAt": "2026-11-29T10:00:00Z",
    }
    for body in (
        json.dumps(complaint).encode(),
        json.dumps(change).encode(),
        postmark_bounce("cy@example.com", "Blocked", 43),
    ):
        assert client.post("/webhooks/postmark", content=body, auth=POSTMARK).status_code == 200
    assert (suppression_of(store, "bo@example.com") or pytest.fail()).reason is Reason.COMPLAINT
    assert (suppression_of(store, "di@example.com") or pytest.fail()).reason is Reason.UNSUBSCRIBE
    assert suppression_of(store, "cy@example.com") is None


def sns_message(
    event: dict | None,
    *,
    version: str = "1",
    key=SES_KEY,
    topic: str = SES_TOPIC,
    age: int = 0,
    message_type: str = "Notification",
    **fields: str,
) -> bytes:
    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)
    message = {
        "Type": message_type,
        "MessageId": secrets.token_hex(16),
        "TopicArn": topic,
        "Message": json.dumps(event),
        "Timestamp": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "SignatureVersion": version,
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem",
        **fields,
    }
    canonical = "".join(f"{k}\n{message[k]}\n" for k in SIGNED_FIELDS[message_type] if k in message)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    message["Signature"] = base64.b64encode(
        key.sign(canonical.encode(), padding.PKCS1v15(), algorithm)
    ).decode()
    return json.dumps(message).encode()


def ses_bounce(
    email: str, bounce_type: str = "Permanent", subtype: str = "General", status: str = "5.1.1"
) -> dict:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": subtype,
            "feedbackId": secrets.token_hex(8),
            "bouncedRecipients": [
                {"emailAddress": email, "status": status, "diagnosticCode": f"smtp; 550 {status}"}
            ],
        },
        "mail": {"messageId": "m1"},
    }


def test_ses_signed_notifications_v1_and_v2(site):
    client, store = site
    assert post(client, "ses", sns_message(ses_bounce("ana@example.com"), version="1")).status_code == 200
    complaint = {
        "notificationType": "Complaint",
        "complaint": {
            "feedbackId": "f2",
            "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": "bo@example.com"}],
        },
    }
    assert post(client, "ses", sns_message(complaint, version="2")).status_code == 200
    blocked = ses_bounce("cy@example.com", subtype="ContentRejected", status="5.7.1")
    assert "policy block" in post(client, "ses", sns_message(blocked)).text
    assert (suppression_of(store, "ana@example.com") or pytest.fail()).reason is Reason.HARD_BOUNCE
    assert (suppression_of(store, "bo@example.com") or pytest.fail()).reason is Reason.COMPLAINT
    assert suppression_of(store, "cy@example.com") is None
    body = sns_message(ses_bounce("di@example.com"))
    assert post(client, "ses", body).status_code == 200
    rows = ProcessedMessages(store).count()
    assert post(client, "ses", body).status_code == 409  # replayed
    assert ProcessedMessages(store).count() == rows


@pytest.mark.parametrize(
    "body",
    [
        sns_message(
            ses_bounce("ana@example.com"), key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ),
        sns_message(ses_bounce("ana@example.com"), topic="arn:aws:sns:eu-west-1:999999999999:someone-else"),
        sns_message(ses_bounce("ana@example.com"), age=2 * 3600),
        sns_message(ses_bounce("ana@example.com"), version="3"),
        sns_message(ses_bounce("ana@example.com")).replace(b"ana@example.com", b"bo@example.com"),
        json.dumps({"Type": "Notification", "TopicArn": SES_TOPIC, "Message": "{}"}).encode(),
    ],
    ids=["forged", "other-topic", "stale", "unknown-version", "tampered", "unsigned"],
)
def test_ses_refuses_what_it_cannot_verify(site, body):
    client, store = site
    assert 400 <= post(client, "ses", body).status_code < 500
    assert (
        suppression_of(store, "ana@example.com") is None and suppression_of(store, "bo@example.com") is None
    )
    assert ProcessedMessages(store).count() == 0


def test_ses_subscription_confirmation_goes_only_to_amazon(site):
    client, store = site
    with RunningServer(create_app(store, SigningSecret(TEST_SECRET.encode(), "test"))) as elsewhere:
        body = sns_message(
            None, message_type="SubscriptionConfirmation", Token="t", SubscribeURL=f"{elsewhere.url}/healthz"
        )
        answer = post(client, "ses", body)
    assert answer.status_code == 400 and "amazonaws.com" in answer.text
    assert ProcessedMessages(store).count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://s3.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
    ],
)
def test_only_amazons_sns_hosts_may_sign(url):
    with pytest.raises(Refused):
        check_cert_url(url)


def test_amazons_own_urls_are_accepted():
    check_cert_url("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem")
    url = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=y"
    assert check_subscribe_url(url) == url
    with pytest.raises(Refused):
        check_subscribe_url("https://amazonaws.com.evil.example/?Token=y")


PROJECT = (
    NEWSLETTER
    + """
[webhooks]
mailgun_signing_key_env = "DIGEST_MAILGUN_SIGNING_KEY"
postmark_user = "postmark"
"""
)


def test_digest_serve_takes_the_configured_webhooks(tmp_path: Path):
    """The real command: [webhooks] in digest.toml, the secrets from the environment."""
    (tmp_path / "digest.toml").write_text(PROJECT, encoding="utf-8")
    store = open_store(tmp_path / "digest.db")
    add_subscriber(store, "ana@example.com", None)
    env = {
        **os.environ,
        "DIGEST_SECRET": TEST_SECRET,
        "DIGEST_MAILGUN_SIGNING_KEY": MAILGUN_KEY.decode(),
        "DIGEST_POSTMARK_PASSWORD": POSTMARK[1],
    }
    command = [str(Path(sys.executable).parent / "digest"), "serve", "--port", "0"]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base = re.findall(r"on (http://\S+/) ", server.stdout.readline())[0]
        assert f"{base}webhooks/mailgun, {base}webhooks/postmark" in server.stdout.readline()
        with httpx.Client(base_url=base, timeout=5) as client:
            assert post(client, "sendgrid", b"[]").status_code == 404  # not configured
            assert post(client, "mailgun", mailgun_body(mailgun_failed("ana@example.com"))).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert (suppression_of(store, "ana@example.com") or pytest.fail()).reason is Reason.HARD_BOUNCE
    store.close()
    # Configured, its secret missing: one line, no traceback.
    del env["DIGEST_POSTMARK_PASSWORD"]
    failed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert failed.returncode == 2 and "DIGEST_POSTMARK_PASSWORD" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_a_request_that_fails_half_way_is_taken_again_on_the_providers_retry(site, monkeypatch):
    """The database was busy while acting: the provider gets a 5xx and retries the same request,
    which must be processed then (not refused as a replay): nothing is lost."""
    import digest.web.site.webhooks as routes

    client, store = site
    acted = routes.act_and_remember
    calls = []

    def busy_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise StoreBusy("another process held the write lock too long", where=Path("digest.db"))
        return acted(*args, **kwargs)

    monkeypatch.setattr(routes, "act_and_remember", busy_once)
    body = mailgun_body(mailgun_failed("cy@example.com"))
    refused = post(client, "mailgun", body)
    assert refused.status_code == 503 and "try again" in refused.text
    assert suppression_of(store, "cy@example.com") is None
    retried = post(client, "mailgun", body)
    assert retried.status_code == 200, retried.text
    assert (suppression_of(store, "cy@example.com") or pytest.fail()).reason is Reason.HARD_BOUNCE
    assert post(client, "mailgun", body).status_code == 409  # and once done, a replay again
