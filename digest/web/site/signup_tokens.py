"""The sign-up's two signed tokens: the form token (CSRF) and the confirmation link's token.

Both are made with the project secret by deliver/tokens.py's `signature`, each under its own
label, so neither is ever taken for the other or for an unsubscribe token.

Form token `h<issued>.<mac>` (the hosted page, made when it is shown: its age is the form's fill
time) or `e<issued>.<mac>` (`digest form`'s snippet, bound to the site origin it is pasted on:
only a POST whose Origin header is that origin verifies it; a static page cannot carry a fresh
token, so an embedded form has no fill time).

Confirmation token `<pending id>.<expires>.<mac>`: the pending sign-up's id and its expiry (Unix
seconds, both hex) signed with the address, so a link stops working when it expires, when it is
used (the pending row is gone), or were an id ever reused for another address.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from digest.deliver import InvalidToken, signature
from digest.deliver.tokens import url_b64

HOSTED = "h"
EMBEDDED = "e"
HOSTED_FORM_MAX_AGE = 24 * 3600
"""Seconds a hosted page's form stays good (reload the page after that)."""
_FORM = re.compile(r"([he])([0-9a-f]{1,12})\.([A-Za-z0-9_-]{22})")
_CONFIRM = re.compile(r"([1-9a-f][0-9a-f]{0,15})\.([0-9a-f]{1,12})\.([A-Za-z0-9_-]{22})")


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def form_token(secret: bytes, issued: int, origin: str = "") -> str:
    """A hosted page's token (origin ""), or an embedded snippet's for the site `origin`."""
    kind = EMBEDDED if origin else HOSTED
    return f"{kind}{issued:x}.{url_b64(signature(secret, f'signup-form:{kind}:{issued:x}:{origin}'))}"


@dataclass(frozen=True, slots=True)
class FormToken:
    hosted: bool
    issued: int


def verify_form_token(secret: bytes, token: str, origin: str) -> FormToken:
    """The token's kind and time; InvalidToken unless it is ours (an embedded one: for `origin`,
    the request's Origin header)."""
    shape = _FORM.fullmatch(token)
    if shape is None:
        raise InvalidToken("malformed form token")
    kind, issued = shape[1], int(shape[2], 16)
    if not _same(form_token(secret, issued, origin if kind == EMBEDDED else ""), token):
        raise InvalidToken("the form token does not match")
    return FormToken(hosted=kind == HOSTED, issued=issued)


def confirm_token(secret: bytes, pending_id: int, expires: int, email: str) -> str:
    mac = signature(secret, f"signup-confirm:{pending_id:x}:{expires:x}:{email.lower()}")
    return f"{pending_id:x}.{expires:x}.{url_b64(mac)}"


def confirm_token_parts(token: str) -> tuple[int, int]:
    """(pending id, expiry) a token claims; `verify_confirm_token` must still check them."""
    shape = _CONFIRM.fullmatch(token)
    if shape is None:
        raise InvalidToken("malformed confirmation token")
    return int(shape[1], 16), int(shape[2], 16)


def verify_confirm_token(secret: bytes, token: str, email: str) -> int:
    """The expiry of a token made for this pending sign-up's address; InvalidToken otherwise."""
    pending_id, expires = confirm_token_parts(token)
    if not _same(confirm_token(secret, pending_id, expires, email), token):
        raise InvalidToken("the confirmation token does not match")
    return expires
