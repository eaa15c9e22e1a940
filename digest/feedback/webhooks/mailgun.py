"""Mailgun's webhooks: HMAC-SHA256 of timestamp + token with the HTTP webhook signing key.

The signature travels inside the JSON body ({"signature": {...}, "event-data": {...}}), so the
body is decoded to read it, and nothing of "event-data" is read until it checks out. Events:
"failed" (permanent: hard; temporary: soft; reason "espblock" or a 5.7.x: a policy block),
"complained", "unsubscribed"; the rest is "other".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import replace

from digest.feedback.model import Feedback, FeedbackKind
from digest.feedback.webhooks import Refused, Verified, address, check_fresh, json_body, text

POLICY_REASONS = frozenset({"espblock"})
KINDS = {"complained": FeedbackKind.COMPLAINT, "unsubscribed": FeedbackKind.UNSUBSCRIBE}


def verify_mailgun(body: bytes, signing_key: bytes, now: dt.datetime) -> Verified:
    payload = json_body(body)
    signature = payload.get("signature") if isinstance(payload, dict) else None
    if not isinstance(signature, dict):
        raise Refused("no signature")
    timestamp, token, given = (str(signature.get(k, "")) for k in ("timestamp", "token", "signature"))
    if not (timestamp and token and given):
        raise Refused("no signature")
    expected = hmac.new(signing_key, (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise Refused("the signature does not match")
    check_fresh(timestamp, now)
    event = payload.get("event-data")
    if not isinstance(event, dict):
        raise Refused("no event-data", 400)
    return Verified([_feedback(event, token)], replay_key=f"mailgun-token:{token}")


def _feedback(event: dict, token: str) -> Feedback:
    name = event.get("event")
    event_id = text(event.get("id"), 200)
    status = event.get("delivery-status")
    if not isinstance(status, dict):
        status = {}
    enhanced = text(status.get("enhanced-code") or "", 20) or None
    reason = text(status.get("description") or status.get("message") or event.get("reason") or name)
    found = Feedback(
        FeedbackKind.OTHER,
        recipient=address(event.get("recipient")),
        status=enhanced,
        reason=reason,
        message_id=f"mailgun:{event_id}" if event_id else f"mailgun:token:{token}",
    )
    if name == "failed":
        permanent = event.get("severity") == "permanent"
        policy = event.get("reason") in POLICY_REASONS or (enhanced or "").startswith(("5.7.", "4.7."))
        kind = FeedbackKind.HARD if permanent and not policy else FeedbackKind.SOFT
        return replace(found, kind=kind, policy_block=policy)
    return replace(found, kind=KINDS.get(str(name), FeedbackKind.OTHER))
