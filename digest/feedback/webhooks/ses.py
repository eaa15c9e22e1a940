"""Amazon SES notifications through SNS: the SNS message signature first, then the SES event.

SNS signs a canonical string of the message's fields (SignatureVersion 1: RSA with SHA-1, 2: with
SHA-256) with the certificate at SigningCertURL, which is believed only over https from
`sns.<region>.amazonaws.com` (or a certificate configured as trusted, for tests and private
setups: then nothing is fetched). Only the configured topic's messages are accepted. A
SubscriptionConfirmation, verified, asks the caller to visit its SubscribeURL, which must be https
on amazonaws.com. The SES event inside ("Bounce", "Complaint"; as a notification or a
configuration set's event) is read only after all this.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.webhooks import Refused, Verified, address, json_body, text

CERT_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
MAX_AGE = dt.timedelta(hours=1)
"""SNS retries a delivery with its first Timestamp, for a while: a wider window than the others'."""
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
POLICY_SUBTYPES = frozenset({"ContentRejected", "AttachmentRejected"})

CertificateOf = Callable[[str], x509.Certificate]
"""The signing certificate for a SigningCertURL (already checked by `check_cert_url`)."""


def check_cert_url(url: str) -> None:
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not CERT_HOST.fullmatch(parts.hostname or "")
        or parts.port not in (None, 443)
    ):
        raise Refused("SigningCertURL is not an https URL on sns.<region>.amazonaws.com")


def check_subscribe_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or not (host == "amazonaws.com" or host.endswith(".amazonaws.com")):
        raise Refused("SubscribeURL is not an https URL on amazonaws.com", 400)
    return url


def verify_ses(body: bytes, topic_arn: str, certificate_of: CertificateOf, now: dt.datetime) -> Verified:
    message = json_body(body)
    if not isinstance(message, dict) or message.get("Type") not in SIGNED_FIELDS:
        raise Refused("not an SNS notification or subscription confirmation", 400)
    _check_signature(message, certificate_of)
    if message.get("TopicArn") != topic_arn:
        raise Refused("not the configured topic")
    try:
        signed_at = dt.datetime.fromisoformat(str(message.get("Timestamp")).replace("Z", "+00:00"))
    except ValueError:
        raise Refused("the timestamp is not ISO 8601") from None
    if abs(now - signed_at) > MAX_AGE:
        raise Refused("the timestamp is stale")
    replay_key = f"ses-request:{message.get('MessageId')}"
    if message["Type"] == "SubscriptionConfirmation":
        return Verified(
            [], replay_key=replay_key, confirm_url=check_subscribe_url(str(message["SubscribeURL"]))
        )
    try:
        event = json.loads(str(message.get("Message")))
    except ValueError:
        raise Refused("the notification's Message is not JSON", 400) from None
    found = _feedback(event, str(message.get("MessageId"))) if isinstance(event, dict) else []
    return Verified(found, replay_key=replay_key)


def _check_signature(message: dict, certificate_of: CertificateOf) -> None:
    algorithm = HASHES.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        raise Refused("unknown SignatureVersion")
    canonical = "".join(
        f"{name}\n{message[name]}\n"
        for name in SIGNED_FIELDS[message["Type"]]
        if message.get(name) is not None
    )
    url = str(message.get("SigningCertURL", ""))
    public_key = certificate_of(url).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise Refused("the signing certificate's key is not RSA")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        public_key.verify(signature, canonical.encode(), padding.PKCS1v15(), algorithm())
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused("the signature does not match") from None


def _feedback(event: dict, sns_id: str) -> list[Feedback]:
    """One Feedback per recipient; each keyed by SES's feedbackId (else the SNS MessageId) and address."""
    kind = event.get("notificationType") or event.get("eventType")
    if kind == "Bounce" and isinstance(event.get("bounce"), dict):
        return _bounces(event["bounce"], sns_id)
    complaint = event.get("complaint")
    if kind == "Complaint" and isinstance(complaint, dict):
        not_spam = complaint.get("complaintFeedbackType") == "not-spam"
        found_kind = FeedbackKind.OTHER if not_spam else FeedbackKind.COMPLAINT
        feedback_id = text(complaint.get("feedbackId"), 200) or sns_id
        return [
            Feedback(
                found_kind,
                recipient=address(person.get("emailAddress")),
                reason=text(complaint.get("complaintFeedbackType") or "complaint"),
                message_id=f"ses:{feedback_id}:{address(person.get('emailAddress'))}",
            )
            for person in complaint.get("complainedRecipients") or []
            if isinstance(person, dict)
        ]
    return []


def _bounces(bounce: dict, sns_id: str) -> list[Feedback]:
    permanent = bounce.get("bounceType") == "Permanent"
    subtype = str(bounce.get("bounceSubType"))
    feedback_id = text(bounce.get("feedbackId"), 200) or sns_id
    found: list[Feedback] = []
    for person in bounce.get("bouncedRecipients") or []:
        if not isinstance(person, dict):
            continue
        status = text(person.get("status"), 20) or None
        policy = subtype in POLICY_SUBTYPES or (status or "").startswith(("5.7.", "4.7."))
        recipient = address(person.get("emailAddress"))
        found.append(
            Feedback(
                FeedbackKind.HARD if permanent and not policy else FeedbackKind.SOFT,
                recipient=recipient,
                status=status,
                reason=text(person.get("diagnosticCode") or f"{bounce.get('bounceType')} {subtype}"),
                message_id=f"ses:{feedback_id}:{recipient}",
                policy_block=policy,
            )
        )
    return found
