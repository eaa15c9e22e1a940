"""Reading a message that may be anything: every access guarded, so no input raises.

Messages are parsed with the email package's `compat32` policy, not `policy.default`: the default
policy parses every header it is asked for into an object (addresses, parameters, encoded words),
which made it four times slower than the rest of the classifier together (a mailbox is read at
thousands of messages a second), and it can raise on a malformed header when it is read. Here a
header is its text, decoded (RFC 2047) only where a rule reads words in it (`decoded_header`).
These helpers return "" or nothing instead of raising; the classifier then tries its next rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message

_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
MAX_PARTS = 200
"""A message with more parts than this is not a bounce anyone sent; stop walking it."""
MAX_TEXT = 64 * 1024
"""Read at most this much of a text part: the diagnostic is near the top."""


def header(message: Message, name: str) -> str:
    """One header as plain text, "" when absent or unreadable."""
    try:
        value = message.get(name)
    except Exception:  # any parse error of any header: this header says nothing
        return raw_header(message, name)
    return "" if value is None else str(value)


def decoded_header(message: Message, name: str) -> str:
    """A header whose words are read (Subject): RFC 2047 encoded words decoded, as well as they go."""
    value = header(message, name)
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # an unknown charset, a broken encoded word: read it as written
        return value


def raw_header(message: Message, name: str) -> str:
    """The header as it was written, without the policy's parsing."""
    wanted = name.lower()
    for key, value in getattr(message, "_headers", ()):
        if str(key).lower() == wanted:
            return str(value)
    return ""


def headers(message: Message, name: str) -> list[str]:
    try:
        values = message.get_all(name) or []
    except Exception:
        return [raw_header(message, name)] if raw_header(message, name) else []
    return [str(v) for v in values]


def content_type(message: Message) -> str:
    try:
        return message.get_content_type()
    except Exception:
        return "text/plain"


def param(message: Message, name: str) -> str:
    try:
        value = message.get_param(name)
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def walk(message: Message) -> Iterator[Message]:
    """Every part, depth first, at most MAX_PARTS of them."""
    try:
        for count, part in enumerate(message.walk()):
            if count >= MAX_PARTS:
                return
            yield part
    except Exception:
        return


def text_of(part: Message) -> str:
    """A leaf part's text, decoded as well as it goes, at most MAX_TEXT characters."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        charset = "utf-8"
        try:
            charset = part.get_content_charset() or "utf-8"
            return payload[:MAX_TEXT].decode(charset, "replace")
        except (LookupError, Exception):
            return payload[:MAX_TEXT].decode("latin-1")
    try:
        raw = part.get_payload()
    except Exception:
        return ""
    return raw[:MAX_TEXT] if isinstance(raw, str) else ""


def addresses_in(text: str) -> list[str]:
    """Every address-shaped string in `text`, lowercased, in order, once each."""
    seen: dict[str, None] = {}
    for found in _ADDRESS.findall(text):
        seen.setdefault(found.lower().strip("."), None)
    return list(seen)


def address_of(value: str) -> str | None:
    """The address in a header or a DSN field (`rfc822; a@b`, `<a@b>`, `Name <a@b>`), lowercased."""
    _, _, value = value.rpartition(";") if ";" in value else ("", "", value)
    found = addresses_in(value)
    return found[0] if found else None
