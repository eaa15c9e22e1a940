"""What a provider's webhook says, verified first: one small pure module per provider.

Each takes the raw body, the request's headers and what it verifies with, and gives back a
`Verified` (the events as `Feedback`, each `message_id` the provider's event id, e.g.
"mailgun:<id>", which the processed table de-duplicates) or raises `Refused` (a 4xx: forged,
unsigned, stale, malformed). Nothing in a body is believed before its signature checks out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from digest.feedback.model import Feedback

MAX_BODY_BYTES = 1024 * 1024
"""A webhook body larger than this is refused unread (providers send kilobytes)."""
MAX_AGE = dt.timedelta(minutes=5)
"""A signed timestamp older (or further ahead) than this is stale: a replay, or a clock gone wrong."""


class Refused(Exception):
    """The request is not believed (or not understood): answer `status` with the message, act on nothing."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Verified:
    events: list[Feedback] = field(default_factory=list)
    replay_key: str | None = None
    """What makes this request once-only (Mailgun's token, SendGrid's signed bytes): seen, a replay."""
    confirm_url: str | None = None
    """A subscription to confirm by visiting this URL (SNS), already checked to be the provider's."""


def check_fresh(timestamp: str, now: dt.datetime) -> None:
    """Refuse a signed Unix `timestamp` more than MAX_AGE away from `now`."""
    try:
        signed_at = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise Refused("the timestamp is not a Unix time") from None
    if abs(now - signed_at) > MAX_AGE:
        raise Refused("the timestamp is stale (more than 5 minutes off)")


def json_body(body: bytes) -> Any:
    """The verified body as JSON; a body that is not is a 400."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused("the body is not JSON", 400) from None


def address(value: object) -> str | None:
    """A recipient as the classifier gives one (lowercased), or None."""
    return value.strip().lower() if isinstance(value, str) and "@" in value else None


def text(value: object, limit: int = 300) -> str:
    return " ".join(str(value).split())[:limit] if value is not None else ""
