"""SendGrid's Signed Event Webhook: ECDSA P-256 / SHA-256 over the timestamp header + the raw body.

Headers X-Twilio-Email-Event-Webhook-Signature (base64 DER) and -Timestamp (Unix seconds); the
verification key is the base64 DER public key SendGrid's settings page shows. The body (a JSON
array of events) is parsed only after the signature checks out. Events: "bounce" (type
"blocked", or a reputation/content classification: a policy block; else hard), "deferred"
(soft), "spamreport", "unsubscribe" and "group_unsubscribe"; the rest is "other".
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Mapping
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.webhooks import Refused, Verified, address, check_fresh, json_body, text

SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
KINDS = {
    "deferred": FeedbackKind.SOFT,
    "spamreport": FeedbackKind.COMPLAINT,
    "unsubscribe": FeedbackKind.UNSUBSCRIBE,
    "group_unsubscribe": FeedbackKind.UNSUBSCRIBE,
}
POLICY_CLASSIFICATIONS = frozenset({"Reputation", "Content", "Frequency or Volume Too High"})


@lru_cache(maxsize=4)
def load_public_key(encoded: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER, or PEM); ValueError if it is not P-256."""
    text_key = encoded.strip()
    try:
        if text_key.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text_key.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text_key, validate=True))
    except (ValueError, binascii.Error, TypeError) as e:
        raise ValueError(f"not a public key ({e})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 public key")
    return key


def verify_sendgrid(body: bytes, headers: Mapping[str, str], public_key: str, now: dt.datetime) -> Verified:
    signature, timestamp = headers.get(SIGNATURE, ""), headers.get(TIMESTAMP, "")
    if not (signature and timestamp):
        raise Refused("no signature")
    try:
        load_public_key(public_key).verify(
            base64.b64decode(signature, validate=True), timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused("the signature does not match") from None
    check_fresh(timestamp, now)
    events = json_body(body)
    if not isinstance(events, list):
        raise Refused("the body is not a list of events", 400)
    # The signed bytes, not the signature, name the request: an ECDSA signature has two valid forms.
    digest = hashlib.sha256(timestamp.encode() + b"\n" + body).hexdigest()
    found = [_feedback(event, f"{digest}:{n}") for n, event in enumerate(events) if isinstance(event, dict)]
    return Verified(found, replay_key=f"sendgrid-request:{digest}")


def _feedback(event: dict, fallback_id: str) -> Feedback:
    name = str(event.get("event"))
    event_id = text(event.get("sg_event_id"), 200) or fallback_id
    status = text(event.get("status"), 20) or None
    common = Feedback(
        KINDS.get(name, FeedbackKind.OTHER),
        recipient=address(event.get("email")),
        status=status,
        reason=text(event.get("reason") or event.get("response") or name),
        message_id=f"sendgrid:{event_id}",
    )
    if name != "bounce":
        return common
    policy = event.get("type") == "blocked" or event.get("bounce_classification") in POLICY_CLASSIFICATIONS
    kind = FeedbackKind.SOFT if policy or (status or "").startswith("4.") else FeedbackKind.HARD
    return Feedback(
        kind,
        recipient=common.recipient,
        status=status,
        reason=common.reason,
        message_id=common.message_id,
        policy_block=policy,
    )
