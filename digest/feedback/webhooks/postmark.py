"""Postmark's webhooks. Postmark signs nothing: the webhook URL carries HTTP Basic credentials
(https://user:password@…), checked in constant time before the body is read.

Record types: "Bounce" (HardBounce, BadEmailAddress: hard; Blocked: a policy block; SoftBounce,
Transient, DnsError, ManuallyDeactivated…: soft; SpamNotification: complaint; AutoResponder and
the like: auto-reply), "SpamComplaint", "SubscriptionChange" (a recipient suppressed from
sending: an unsubscribe, or the hard bounce or complaint Postmark names).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.webhooks import Refused, Verified, address, json_body, text

BOUNCE_KINDS = {
    "HardBounce": FeedbackKind.HARD,
    "BadEmailAddress": FeedbackKind.HARD,
    "SpamNotification": FeedbackKind.COMPLAINT,
    "AutoResponder": FeedbackKind.AUTO_REPLY,
    "Unsubscribe": FeedbackKind.UNSUBSCRIBE,
    "ChallengeVerification": FeedbackKind.AUTO_REPLY,
    "Subscribe": FeedbackKind.OTHER,
    "OpenRelayTest": FeedbackKind.OTHER,
    "VirusNotification": FeedbackKind.OTHER,
}
SUPPRESSION_KINDS = {
    "HardBounce": FeedbackKind.HARD,
    "SpamComplaint": FeedbackKind.COMPLAINT,
    "ManualSuppression": FeedbackKind.UNSUBSCRIBE,
}


def check_basic_auth(headers: Mapping[str, str], user: str, password: str) -> None:
    """Refuse a request without exactly these credentials (401), comparing in constant time."""
    scheme, _, encoded = headers.get("Authorization", "").partition(" ")
    try:
        given = base64.b64decode(encoded, validate=True) if scheme.lower() == "basic" else b""
    except binascii.Error:
        given = b""
    expected = f"{user}:{password}".encode()
    if not (given and hmac.compare_digest(given, expected)):
        raise Refused("wrong or missing credentials", 401)


def verify_postmark(body: bytes, headers: Mapping[str, str], credentials: tuple[str, str]) -> Verified:
    check_basic_auth(headers, *credentials)
    record = json_body(body)
    if not isinstance(record, dict):
        raise Refused("the body is not a Postmark record", 400)
    digest = hashlib.sha256(body).hexdigest()
    return Verified([_feedback(record, digest)], replay_key=f"postmark-request:{digest}")


def _feedback(record: dict, digest: str) -> Feedback:
    record_type = str(record.get("RecordType"))
    event_id = text(record.get("ID"), 100) or digest
    recipient = address(record.get("Email") or record.get("Recipient"))
    reason = text(record.get("Description") or record.get("Details") or record.get("SuppressionReason"))
    key = f"postmark:{record_type}:{event_id}"
    if record_type == "SpamComplaint":
        return Feedback(
            FeedbackKind.COMPLAINT, recipient=recipient, reason=reason or "spam complaint", message_id=key
        )
    if record_type == "SubscriptionChange":
        suppressed = record.get("SuppressSending") is True
        kind = SUPPRESSION_KINDS.get(str(record.get("SuppressionReason")), FeedbackKind.OTHER)
        return Feedback(
            kind if suppressed else FeedbackKind.OTHER, recipient=recipient, reason=reason, message_id=key
        )
    if record_type != "Bounce":
        return Feedback(FeedbackKind.OTHER, recipient=recipient, reason=record_type, message_id=key)
    bounce_type = str(record.get("Type"))
    policy = bounce_type == "Blocked"
    kind = BOUNCE_KINDS.get(bounce_type, FeedbackKind.SOFT)
    return Feedback(
        kind, recipient=recipient, reason=f"{bounce_type}: {reason}", message_id=key, policy_block=policy
    )
