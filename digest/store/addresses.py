"""What an address and a name on the list must look like, shared by the subscriber list
(digest/store/subscribers.py) and the suppression list (digest/store/suppression.py)."""

from __future__ import annotations

from digest.clock import utc_now
from digest.email_syntax import plain_address
from digest.errors import DigestError
from digest.markup import fold_whitespace

LOCAL_PART_MAX = 64
"""RFC 5321 4.5.3.1.1: a server may refuse a longer one. (email-validator checks the whole
address's 254, not this.)"""


class SubscriberError(DigestError):
    """A subscriber file or address the user gave cannot be used."""


def now_stamp() -> str:
    """Now, as the subscribers table stores it (ISO 8601, UTC, to the second)."""
    return utc_now().isoformat(timespec="seconds")


def parse_address(raw: str) -> str:
    """Syntax check only (no DNS): the address in its ASCII form, domain lower-cased.

    Raises ValueError with the reason a person can act on.
    """
    text = raw.strip()
    if not text:
        raise ValueError("the email is empty")
    address = plain_address(text) or _validated(text)
    local_part = address.rpartition("@")[0]
    if len(local_part) > LOCAL_PART_MAX:
        raise ValueError(
            f"the part before the @ is {len(local_part)} characters long, over RFC 5321's "
            f"{LOCAL_PART_MAX} (got {text!r})"
        )
    return address


def _validated(text: str) -> str:
    """What email-validator makes of an address that is not plainly valid (digest/email_syntax.py)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as e:
        raise ValueError(f"{e} (got {text!r})") from None
    address = result.ascii_email
    if address is None:
        raise ValueError(f"non-ASCII before the @ needs SMTPUTF8, which digest does not send (got {text!r})")
    return address


def address_key(raw: str) -> str:
    """The key a stored address is found by (email_key): its parsed form lower-cased, or, for
    text that is no address, the text lower-cased (which then finds nobody)."""
    try:
        return parse_address(raw).lower()
    except ValueError:
        return raw.strip().lower()


def clean_name(raw: str) -> str:
    """One line, no control characters: names end up in the To header."""
    return fold_whitespace(raw or "")
