"""DKIM's relaxed canonicalisation (RFC 6376 §3.4.2, §3.4.4), at the speed of a splice.

Relaxed body canonicalisation rewrites only runs of space and tab (one space; none before a line
end) and the empty lines at the end of the body. Such a run never crosses a byte that is not
whitespace, so a stretch of the body that starts and ends on other bytes (a "core") has the same
canonical form wherever it stands. A spliced copy is the issue's static runs with a recipient's
values between them: each static run's core is canonicalised once per issue (`StaticRun`), and
per copy only the "gaps" are: a run's whitespace edges together with the recipient's bytes
between two cores. The pieces are hashed in order, so the digest is that of the whole canonical
body. tests/deliver/test_dkim_canon.py proves it equal to dkimpy's on hostile splice values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

CRLF = b"\r\n"
WHITESPACE = b" \t\r\n"
"""What a core never starts or ends with: the bytes a canonicalisation rule looks at."""
PROBE = 48
"""How many of a static run's first bytes are searched for, before the whole run is compared."""

_BEFORE_LINE_END = re.compile(rb"[\t ]+\r\n")
_RUN = re.compile(rb"[\t ]+")
_UNFOLD = re.compile(rb"\r?\n")
_BARE_LF = re.compile(rb"(?<!\r)\n")


def relaxed_lines(data: bytes) -> bytes:
    """Rules a and b of relaxed body canonicalisation: no whitespace before a line end, and every
    other run of spaces and tabs one space (not the end-of-body rule: see `relaxed_body`). A bare
    LF is a line end, as dkimpy reads it and as a receiving server rewrites it."""
    if data.count(b"\n") != data.count(CRLF):
        data = _BARE_LF.sub(CRLF, data)
    if b" " not in data and b"\t" not in data:
        return data  # the common gap (a link, a line end): nothing to rewrite, no regex call
    return _RUN.sub(b" ", _BEFORE_LINE_END.sub(CRLF, data))


def _without_trailing_lines(canonical: bytes) -> bytes:
    end = len(canonical)
    while end >= 2 and canonical[end - 2 : end] == CRLF:
        end -= 2
    return canonical[:end]


def relaxed_body(body: bytes) -> bytes:
    """The whole relaxed canonical body: empty lines at the end dropped, one line end kept."""
    content = _without_trailing_lines(relaxed_lines(body))
    return content + CRLF if content else b""


def relaxed_header(name: bytes, value: bytes) -> bytes:
    """One header field, relaxed (§3.4.2): the name in lower case, the value unfolded, its runs of
    whitespace one space and its ends trimmed."""
    return name.lower().rstrip() + b":" + _RUN.sub(b" ", _UNFOLD.sub(b"", value)).strip() + CRLF


@dataclass(frozen=True, slots=True)
class StaticRun:
    """Bytes every copy of an issue has at this place in the body, canonicalised once."""

    data: bytes
    lead: int
    """Length of the whitespace it starts with (canonicalised with the gap before it)."""
    trail: int
    """Length of the whitespace it ends with (canonicalised with the gap after it)."""
    core: bytes | None
    """The canonical form of what lies between; None when the run is all whitespace."""

    @classmethod
    def of(cls, data: bytes) -> StaticRun:
        rest = data.lstrip(WHITESPACE)
        if not rest:
            return cls(data, len(data), 0, None)
        middle = rest.rstrip(WHITESPACE)
        return cls(data, len(data) - len(rest), len(rest) - len(middle), relaxed_lines(middle))

    def find(self, body: bytes, start: int) -> int:
        """Where this run stands in `body` at or after `start` (-1: nowhere)."""
        probe = self.data[:PROBE]
        at = body.find(probe, start)
        while at >= 0 and not body.startswith(self.data, at):
            at = body.find(probe, at + 1)
        return at


BodyLayout = tuple[StaticRun, ...]
"""One variant of an issue's body: its static runs in order, a recipient's values between them."""


def body_layout(runs: Sequence[bytes]) -> BodyLayout:
    return tuple(StaticRun.of(run) for run in runs if run)


def canonical_pieces(body: bytes, layout: BodyLayout) -> list[bytes] | None:
    """The canonical body as pieces to hash in order, or None when `body` is not this layout's.

    Every run is found where it stands (a value equal to a run's bytes may be taken for it: the
    pieces are the same bytes, so the canonical form is too)."""
    pieces: list[bytes] = []
    gap_start = search = 0
    for run in layout:
        at = run.find(body, search)
        if at < 0:
            return None
        search = at + len(run.data)
        if run.core is None:
            continue  # all whitespace: it belongs to the gap around it
        pieces.append(relaxed_lines(body[gap_start : at + run.lead]))
        pieces.append(run.core)
        gap_start = search - run.trail
    if not pieces:
        return [relaxed_body(body)]
    # the last core ends on a byte that is not whitespace: the end-of-body rule is the last gap's
    pieces.append(_without_trailing_lines(relaxed_lines(body[gap_start:])) + CRLF)
    return pieces


def canonical_body(body: bytes, layouts: Sequence[BodyLayout]) -> list[bytes]:
    """The canonical body in pieces: by the first layout `body` follows, else computed whole."""
    for layout in layouts:
        pieces = canonical_pieces(body, layout)
        if pieces is not None:
            return pieces
    return [relaxed_body(body)]
