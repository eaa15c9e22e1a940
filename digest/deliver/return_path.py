"""The return path (VERP): every real message's envelope sender names its issue and subscriber.

`bounces+2025-w02.1f.<mac>@news.example.org`: a bounce comes back to that address, so it maps to
its subscriber even when the DSN inside is malformed or names an address the mail was forwarded
to. The token is signed like the unsubscribe tokens (tokens.py: HMAC-SHA256 with the newsletter's
secret, under its own label so one kind of token is never taken for the other). Unlike those it
is not bound to the address: a bounce must be read without the store. Its characters survive
mail servers that lowercase local parts: lowercase hex, "-", "." and base32 in lowercase.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass
from email.utils import parseaddr

from digest.deliver.tokens import MAX_SUBSCRIBER_ID, signature

MAC_BYTES = 10
"""80 bits: the token must fit a 64-character local part; forging one only misfiles a bounce."""
MAX_LOCAL_PART = 64
"""RFC 5321 4.5.3.1.1."""
# issue id (2025-W02, lowercased), subscriber id in hex, the MAC in base32 (16 characters).
_TOKEN = re.compile(r"(?P<issue>\d{4}-w\d{2})\.(?P<id>0|[1-9a-f][0-9a-f]{0,15})\.(?P<mac>[a-z2-7]{16})")


@dataclass(frozen=True)
class ReturnPathId:
    """What a verified return-path token names."""

    issue_id: str
    subscriber_id: int


def _mac(secret: bytes, issue_id: str, subscriber_id: int) -> str:
    digest = signature(secret, f"return-path:{issue_id.upper()}:{subscriber_id:x}", MAC_BYTES)
    return base64.b32encode(digest).decode().lower()


def return_path_token(secret: bytes, issue_id: str, subscriber_id: int) -> str:
    return f"{issue_id.lower()}.{subscriber_id:x}.{_mac(secret, issue_id, subscriber_id)}"


def return_path_address(return_path: str, secret: bytes, issue_id: str, subscriber_id: int) -> str:
    """`bounces@news.example.org` → `bounces+<token>@news.example.org`, or the address unchanged
    when the local part would pass 64 characters (a bounce then carries no ids, but arrives)."""
    local, _, domain = parseaddr(return_path)[1].rpartition("@")
    tagged = f"{local}+{return_path_token(secret, issue_id, subscriber_id)}"
    return f"{tagged if len(tagged) <= MAX_LOCAL_PART else local}@{domain}"


def unsubscribe_address(mailbox: str, token: str) -> str:
    """List-Unsubscribe's mailto: mailbox for one subscriber: `news@x` → `news+unsubscribe+<token>@x`
    (the unsubscribe token of tokens.py: a request to it names its subscriber whoever sends it),
    or the mailbox unchanged without a token or when the local part would pass 64 characters
    (a request is then matched by its From)."""
    local, _, domain = mailbox.rpartition("@")
    tagged = f"{local}+unsubscribe+{token}"
    return f"{tagged}@{domain}" if token and local and len(tagged) <= MAX_LOCAL_PART else mailbox


def read_return_path(secret: bytes, address: str) -> ReturnPathId | None:
    """The ids a `...+<token>@...` address carries when its token verifies; None for any other
    address, a malformed token, or one altered or forged (never an exception)."""
    local = address.strip().strip("<>").rpartition("@")[0].lower()
    found = _TOKEN.search(local.rpartition("+")[2]) if "+" in local else None
    if found is None or found.group(0) != local.rpartition("+")[2]:
        return None
    subscriber_id = int(found["id"], 16)
    issue_id = found["issue"].upper()
    if subscriber_id > MAX_SUBSCRIBER_ID:
        return None
    if not hmac.compare_digest(found["mac"], _mac(secret, issue_id, subscriber_id)):
        return None
    return ReturnPathId(issue_id, subscriber_id)
