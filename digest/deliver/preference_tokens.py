"""The preference page's tokens, and the salt erased addresses are hashed with: all signed with the
project secret through `tokens.signature`, each under its own label, so none is taken for another
(an unsubscribe token opens no preference page, and the other way round).

- The link token (`/preferences?token=…`): a subscriber id and the HMAC of id and address, the
  shape of an unsubscribe token. It does not expire: the link in last month's issue still works,
  and it stops working when the subscriber is erased.
- The form token (a hidden field on the page's forms, CSRF): the time the page was shown and the
  HMAC of that time with the subscriber's id and address; good for FORM_TOKEN_LIFETIME.
- The erasure salt (`erasure_salt`): what digest.store.personal_data hashes an erased address
  with, so the database alone does not tell whether an address was ever on the list.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

from digest.clock import utc_now
from digest.deliver.tokens import (
    PROOF_ADDRESS,
    PROOF_SUBSCRIBER_ID,
    InvalidToken,
    signature,
    token_subscriber_id,
    url_b64,
)

FORM_TOKEN_LIFETIME = dt.timedelta(hours=24)
"""How long a preference page may stay open before its forms must be loaded again."""
_CLOCK_SKEW = dt.timedelta(minutes=5)
_FORM_TOKEN = re.compile(r"([1-9a-f][0-9a-f]{0,8})\.[A-Za-z0-9_-]{22}")  # up to 9 hex digits: before 4000 AD


def _bound_to(subscriber_id: int, email: str) -> str:
    return f"{subscriber_id:x}:{PROOF_ADDRESS if subscriber_id == PROOF_SUBSCRIBER_ID else email.lower()}"


def preferences_token(secret: bytes, subscriber_id: int, email: str) -> str:
    """The token of a subscriber's preference link (id 0: a proof's, which changes nobody)."""
    return f"{subscriber_id:x}.{url_b64(signature(secret, f'preferences:{_bound_to(subscriber_id, email)}'))}"


def verify_preferences_token(secret: bytes, token: str, email: str) -> None:
    """Raises InvalidToken unless `token` was made with `secret` for this id and address (the id
    read with `token_subscriber_id`, which checks the shape first)."""
    expected = preferences_token(secret, token_subscriber_id(token), email)
    if not hmac.compare_digest(expected.encode(), token.encode("ascii")):  # the shape is ASCII
        raise InvalidToken("the token does not match")


def form_token(secret: bytes, subscriber_id: int, email: str, *, now: dt.datetime | None = None) -> str:
    """The CSRF token of one showing of the page."""
    issued = int((now or utc_now()).timestamp())
    mac = signature(secret, f"preferences-form:{_bound_to(subscriber_id, email)}:{issued:x}")
    return f"{issued:x}.{url_b64(mac)}"


def verify_form_token(
    secret: bytes, token: str, subscriber_id: int, email: str, *, now: dt.datetime | None = None
) -> None:
    """Raises InvalidToken unless `token` was made for this subscriber within FORM_TOKEN_LIFETIME."""
    shape = _FORM_TOKEN.fullmatch(token)
    if shape is None:
        raise InvalidToken("malformed form token")
    issued = dt.datetime.fromtimestamp(int(shape.group(1), 16), dt.UTC)
    expected = form_token(secret, subscriber_id, email, now=issued)
    if not hmac.compare_digest(expected.encode(), token.encode("ascii")):
        raise InvalidToken("the form token does not match")
    age = (now or utc_now()) - issued
    if age > FORM_TOKEN_LIFETIME or age < -_CLOCK_SKEW:
        raise InvalidToken("the form has expired: load the page again")


def erasure_salt(secret: bytes) -> bytes:
    """What erased addresses are hashed with (digest.store.personal_data.erased_hash)."""
    return signature(secret, "erased-address-salt", 32)
