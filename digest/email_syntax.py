"""The plain address, told without email-validator: most addresses on a list are an ASCII
dot-atom before the @ and an ASCII host name after it, which a regular expression settles in a
microsecond. email-validator (a 50 ms import, ~20 µs an address) is asked only about the rest:
international names, quoting, Punycode, anything unusual. The answer is the same either way
(tests/test_email_syntax.py holds it to email-validator's, case by case and by property).
"""

from __future__ import annotations

import re

_ATEXT = r"A-Za-z0-9_!#$%&'*+\-/=?^`{|}~"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN = re.compile(
    rf"(?P<local>[{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@"
    rf"(?P<domain>(?:{_LABEL}\.)+(?:[A-Za-z0-9][A-Za-z0-9-]{{0,61}})?[A-Za-z])\Z"
)
"""A dot-atom, @, and two labels or more, the last ending in a letter (every top-level domain does)."""
_ADDRESS_MAX = 254
_DOMAIN_MAX = 253

SPECIAL_USE_DOMAINS = frozenset(("arpa", "invalid", "local", "localhost", "onion", "test"))
"""email-validator's SPECIAL_USE_DOMAIN_NAMES, each a top-level name: refused, so left to it (a
test holds them equal)."""
CASE_INSENSITIVE_MAILBOXES = frozenset(
    [
        "info",
        "marketing",
        "sales",
        "support",
        "abuse",
        "noc",
        "security",
        "postmaster",
        "hostmaster",
        "usenet",
        "news",
        "webmaster",
        "www",
        "uucp",
        "ftp",
    ]
)
"""RFC 2142's names, which email-validator lower-cases: left to it (a test holds them equal)."""


def plain_address(text: str) -> str | None:
    """`text` (stripped already) as email-validator's `ascii_email` would give it (the host name
    lower-cased) when it is plainly valid; None when only email-validator can tell."""
    match = _PLAIN.match(text) if len(text) <= _ADDRESS_MAX else None
    if match is None:
        return None
    local, domain = match["local"], match["domain"].lower()
    if (
        len(domain) > _DOMAIN_MAX
        or "--" in domain  # Punycode and the labels RFC 5890 reserves
        or domain.rpartition(".")[2] in SPECIAL_USE_DOMAINS
        or local.lower() in CASE_INSENSITIVE_MAILBOXES
    ):
        return None
    return f"{local}@{domain}"
