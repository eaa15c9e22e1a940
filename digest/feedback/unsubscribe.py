"""`mailto:` unsubscribes: the message a mail client sends from List-Unsubscribe's mailto: link.

digest's link is `mailto:<[newsletter] unsubscribe_mailto>?subject=unsubscribe`; a request is a
message whose subject is "unsubscribe" (what the link fills in; people also write it by hand), or
one sent to a `...+unsubscribe...` address. The subscriber is the sender (From). An address of
the form `local+unsubscribe+<token>@domain` (what every message's List-Unsubscribe names, see
deliver/splice.py) carries an unsubscribe token (deliver/tokens.py): when it verifies for that
sender, `subscriber_id` is theirs; otherwise act.py checks it against the subscriber it names
(`unsubscribe_token_owner`: someone writing from another address of theirs), and a token that
verifies for nobody unsubscribes nobody, not even the sender.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from email.message import Message

from digest.deliver import InvalidToken, make_token, token_subscriber_id, verify_token
from digest.feedback.parts import address_of, addresses_in, decoded_header, header, headers
from digest.store import Store
from digest.store.subscribers import get_subscriber

_SUBJECT = re.compile(r"^\s*((re|aw|fwd?|wg)\s*:\s*)*\[?\s*unsubscribe\b", re.IGNORECASE)
_TAGGED = re.compile(r"[+-]unsubscribe(?:\+(?P<token>[0-9a-f]{1,16}\.[A-Za-z0-9_-]{22}))?@", re.IGNORECASE)
ADDRESSED_TO = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "Cc")


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    sender: str | None
    subscriber_id: int | None
    reason: str
    token: str | None = None
    """The token the address carried, verified or not (act.py verifies it against the store)."""


def unsubscribe_request(message: Message, secret: bytes | None) -> Unsubscribe | None:
    """The unsubscribe request `message` is, or None."""
    sender = address_of(header(message, "Reply-To")) or address_of(header(message, "From"))
    tagged = None
    for name in ADDRESSED_TO:
        for value in headers(message, name):
            tagged = tagged or _TAGGED.search(value)
    if tagged is None and not _SUBJECT.match(decoded_header(message, "Subject")):
        return None
    subscriber_id = None
    token = tagged["token"] if tagged is not None else None
    if token and sender and secret is not None:
        try:
            verify_token(secret, token, sender)
            subscriber_id = token_subscriber_id(token)
        except InvalidToken:
            pass
    reason = "sent to the unsubscribe address" if tagged is not None else "subject: unsubscribe"
    return Unsubscribe(sender if sender and addresses_in(sender) else None, subscriber_id, reason, token)


def unsubscribe_token_owner(store: Store, token: str, secret: bytes | None) -> str | None:
    """The address of the subscriber `token` names when it verifies for them, else None. Compared
    without case: some mail servers lowercase local parts (the MAC keeps over 100 bits)."""
    if secret is None:  # tokens are not believed without the secret that signs them
        return None
    try:
        subscriber = get_subscriber(store, token_subscriber_id(token.lower()))
    except InvalidToken:
        return None
    if subscriber is None:
        return None
    expected = make_token(secret, subscriber.id, subscriber.email)
    return subscriber.email if hmac.compare_digest(expected.lower(), token.lower()) else None
