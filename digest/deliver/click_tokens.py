"""Click tokens: what a tracked link (`/c/<token>`) carries, signed so it redirects only where the
issue linked.

A token is `<link>.<who>.<mac>`. `<link>` (base64url, made once per issue) holds the issue, the
link's slot, its number, how many links a reader may click in the message, and the original URL: the
redirect goes to that URL and nowhere else, and needs no lookup. `<who>` is per message: an opaque
clicker key (a keyed hash of issue and subscriber: it tells two messages apart, it names nobody),
with the subscriber's id after a "~" only under `[tracking] individual = true`; "p" for proofs and
dry runs, whose links work and count nothing. `<mac>` signs both under its own label ("click:").
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from dataclasses import dataclass

from digest.deliver.tokens import MAC_BYTES, MAX_SUBSCRIBER_ID, InvalidToken, signature, url_b64

NOT_COUNTED = "p"
"""The `<who>` of a proof's or a dry run's links."""
CLICKER_BYTES = 8
_FIELD_SEPARATOR = "\n"
_WHO = r"p|[A-Za-z0-9_-]{11}(?:~[1-9a-f][0-9a-f]{0,15})?"  # 11: CLICKER_BYTES in base64
_TOKEN = re.compile(rf"([A-Za-z0-9_-]{{8,6000}})\.({_WHO})\.([A-Za-z0-9_-]{{22}})")


@dataclass(frozen=True, slots=True)
class TrackedLink:
    issue_id: str
    slot: str
    number: int
    """Its place among the message's tracked links (0-based)."""
    total: int
    """How many story, sponsor and footer links the message has (the honeypot and the pixel not counted)."""
    url: str


@dataclass(frozen=True, slots=True)
class ClickToken:
    link: TrackedLink
    clicker: str
    """"" for a link that counts nothing (proofs, dry runs)."""
    subscriber_id: int | None

    @property
    def counted(self) -> bool:
        return bool(self.clicker)


def link_part(link: TrackedLink) -> str:
    fields = (link.issue_id, link.slot, str(link.number), str(link.total), link.url)
    return url_b64(_FIELD_SEPARATOR.join(fields).encode())


def clicker_key(secret: bytes, issue_id: str, subscriber_id: int) -> str:
    """The opaque per-message key for unique clickers: the same for every link of one copy."""
    return url_b64(signature(secret, f"clicker:{issue_id}:{subscriber_id:x}", CLICKER_BYTES))


def who_part(clicker: str, subscriber_id: int | None) -> str:
    return f"{clicker}~{subscriber_id:x}" if subscriber_id is not None else clicker


def sign_link(secret: bytes, link: str, who: str) -> str:
    """The token of one link of one message (`link` from `link_part`, `who` from `who_part`)."""
    return f"{link}.{who}.{url_b64(signature(secret, f'click:{link}.{who}'))}"


def read_click_token(secret: bytes, token: str) -> ClickToken:
    """The token's link and clicker; InvalidToken when it is malformed, altered or forged."""
    shape = _TOKEN.fullmatch(token)
    if shape is None:
        raise InvalidToken("malformed click token")
    link, who, mac = shape.groups()
    expected = url_b64(signature(secret, f"click:{link}.{who}", MAC_BYTES))
    if not hmac.compare_digest(expected, mac):
        raise InvalidToken("the click token does not match")
    try:
        issue_id, slot, number, total, url = (
            base64.urlsafe_b64decode(link + "=" * (-len(link) % 4)).decode().split(_FIELD_SEPARATOR)
        )
        tracked = TrackedLink(issue_id, slot, int(number), int(total), url)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidToken("malformed click token") from None
    clicker, _, subscriber = who.partition("~")
    subscriber_id = int(subscriber, 16) if subscriber else None
    if subscriber_id is not None and subscriber_id > MAX_SUBSCRIBER_ID:
        raise InvalidToken("malformed click token")
    return ClickToken(
        tracked,
        "" if clicker == NOT_COUNTED else clicker,
        subscriber_id,
    )
