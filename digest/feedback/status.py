"""Hard, soft or a policy block, from a status code and the diagnostic text: one table.

The enhanced status code (RFC 3463) decides where it is specific; the text decides where the code
is generic (5.0.0, 5.5.x, 5.7.x are used for anything) or missing. Rules, in order:

| code            | class | why |
| --------------- | ----- | --- |
| 4.7.x           | text  | a deferral; a policy block (reputation, complaints) when the text says so |
| 4.x.x (else)    | soft  | the server itself says try again |
| 5.1.x           | hard  | bad mailbox or domain (5.1.1 no such user, 5.1.2 no such domain) |
| 5.2.1           | hard  | mailbox disabled |
| 5.2.2, 5.2.3    | soft  | mailbox full, message too large for it |
| 5.3.4           | soft  | message too big for the system |
| 5.4.4           | hard  | no route to the domain (no MX, no A) |
| 5.4.x (else)    | soft  | network or routing trouble, delivery time expired |
| other 5.x.x     | text  | the text rules below; a 5.7.x that matches none is a policy block |
| no code         | text  | the text rules below; none matching: hard when permanent |

Text rules, first match wins: mailbox full / quota / too large / greylisting / try again → soft;
no such user or domain / unknown / disabled / inactive → hard; blocklist / spam / reputation /
policy / blocked → a policy block (soft, `policy_block`: never suppress, alert the editors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SOFT_TEXT = re.compile(
    r"(mail ?box|mail ?folder|inbox)( is)? (full|out of storage)|quota|exceeded (the )?storage"
    r"|insufficient (disk|storage)|space not enough|out of (storage|space)|not reachable|queue period"
    r"|network problem|maximum delivery attempts"
    r"|mailbox size limit|storage (space|allocation)|too (large|big)|size limit|message size"
    r"|grey ?list|gray ?list|try (again )?later|temporar|deferred|delayed|timed? ?out|retry",
    re.IGNORECASE,
)
_HARD_TEXT = re.compile(
    r"no such (user|mailbox|recipient|address|domain|account)|user(name)? unknown|unknown (user|recipient"
    r"|address|mailbox|local|alias)|does not exist|doesn't exist|not exist|invalid (recipient|mailbox"
    r"|address|user)|recipient (address )?rejected|address rejected|mailbox (not found|unavailable|"
    r"does not)|no mailbox|not a valid|user not found|account (has been |is )?(disabled|deactivated|"
    r"closed|suspended|inactive|expired|locked)|inactive|no longer (active|available|valid)|unrouteable"
    r"|host (not found|unknown)|domain (not found|does not)|name or service not known|no (mx|dns)"
    r"|unknown host|not listed in|bad destination|mailbox has been disabled|address unknown",
    re.IGNORECASE,
)
_POLICY_TEXT = re.compile(
    r"block ?list|black ?list|spamhaus|spamcop|barracuda|\brbl\b|\bdnsbl\b|reputation|\bspam\b|policy"
    r"|blocked|banned|rejected due to|message refused|not accepted|\bdmarc\b|\bspf\b|\bdkim\b|abuse"
    r"|complaints|unexpected volume|\bTS[S]?\d\d\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Verdict:
    hard: bool
    policy_block: bool = False


SOFT = Verdict(hard=False)
HARD = Verdict(hard=True)
POLICY = Verdict(hard=False, policy_block=True)


def status_code(text: str) -> str | None:
    """The first enhanced status code in `text` ("5.1.1"), if any."""
    found = _CODE.search(text)
    return ".".join(found.groups()) if found else None


def judge(status: str | None, text: str, *, permanent: bool = True) -> Verdict:
    """Hard, soft or a policy block for a failure with this status code and diagnostic text.
    `permanent` is what the message says otherwise (a failed action, a 5xx) when there is no code.

    >>> judge("5.1.1", "550 5.1.1 <a@b> User unknown")
    Verdict(hard=True, policy_block=False)
    >>> judge("5.7.1", "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
    Verdict(hard=False, policy_block=True)
    >>> judge("5.2.2", "552 5.2.2 Mailbox full")
    Verdict(hard=False, policy_block=False)
    """
    if status:
        by_code = _by_code(status)
        if by_code is not None:
            return by_code
        if status.startswith("4.7."):
            return POLICY if _POLICY_TEXT.search(text) else SOFT
    if _SOFT_TEXT.search(text):
        return SOFT
    if _HARD_TEXT.search(text):
        return HARD
    if _POLICY_TEXT.search(text) or (status or "")[1:4] == ".7.":
        return POLICY
    return HARD if permanent and not (status or "").startswith("4") else SOFT


def is_specific(status: str | None, text: str) -> bool:
    """Whether the code or the text settles it, or a generic 5.0.0 with a bare text leaves the
    reader to look further (the bounce's human-readable part often says more)."""
    if status and _by_code(status) is not None:
        return True
    return bool(_SOFT_TEXT.search(text) or _HARD_TEXT.search(text) or _POLICY_TEXT.search(text))


def _by_code(status: str) -> Verdict | None:
    klass, subject, detail = status.split(".")
    if klass == "4":
        return None if subject == "7" else SOFT  # 4.7.x: the text says whether it is a policy block
    if klass != "5":
        return None
    if subject == "1":
        return HARD
    if subject == "2":
        return {"1": HARD, "2": SOFT, "3": SOFT}.get(detail)
    if subject == "3" and detail == "4":
        return SOFT
    if subject == "4":
        return HARD if detail == "4" else SOFT
    return None
