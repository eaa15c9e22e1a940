"""Dot-stuffing (RFC 5321 4.5.2) done once per issue: a line that starts with "." goes out with one
more, so the server never takes it for the end of the message.

Searching a whole copy for CRLF "." costs ~1 µs per kilobyte (a three-byte pattern whose bytes are
everywhere in quoted-printable), the largest cost of a copy. A spliced copy (splice.py) is a join
of pieces that each start at a line start, so each static piece is stuffed once per issue and
only the recipient's values per copy: `Spliced` carries that stuffed form beside the message.
"""

from __future__ import annotations

from dataclasses import dataclass

DOT_LINE = b"\r\n."


class Spliced(bytes):
    """A copy as the splice made it, with `wire`: the same bytes dot-stuffed, from its pieces."""

    wire: bytes


def stuffed_piece(piece: bytes) -> bytes:
    """A piece that starts at a line start (or is empty), dot-stuffed."""
    stuffed = piece.replace(DOT_LINE, b"\r\n..") if DOT_LINE in piece else piece
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def dot_stuffed(data: bytes) -> bytes:
    """The message with every line that starts with "." given one more (a message starts with a
    header, never with "."): from the pieces when the splice made it, else searched."""
    if isinstance(data, Spliced):
        return data.wire
    return data.replace(DOT_LINE, b"\r\n..")


Pieces = tuple[bytes | int, ...]
"""A part as splice.compile_part cuts it: static bytes, and the number of the value that goes there."""


@dataclass(frozen=True)
class BodyPieces:
    """One variant's body (text part, the bytes between, HTML part, the end) as pieces, and the
    same with every static piece dot-stuffed once (each piece starts a line)."""

    plain: tuple[Pieces, bytes, Pieces, bytes]
    stuffed: tuple[Pieces, bytes, Pieces, bytes]

    @classmethod
    def of(cls, text: Pieces, between: bytes, html: Pieces, end: bytes) -> BodyPieces:
        def stuff(part: Pieces) -> Pieces:
            return tuple(stuffed_piece(piece) if isinstance(piece, bytes) else piece for piece in part)

        return cls(
            (text, between, html, end), (stuff(text), stuffed_piece(between), stuff(html), stuffed_piece(end))
        )

    def splice(self, head: bytes, text_values: list[bytes], html_values: list[bytes]) -> Spliced:
        """The copy: `head`, then the body with the recipient's values (encoded, each starting a
        line); its `wire` from the stuffed pieces and the values stuffed."""
        copy = Spliced(_join(head, self.plain, text_values, html_values))
        stuffed_text = [stuffed_piece(value) for value in text_values]
        stuffed_html = [stuffed_piece(value) for value in html_values]
        copy.wire = _join(stuffed_piece(head), self.stuffed, stuffed_text, stuffed_html)
        return copy


def _join(
    head: bytes,
    pieces: tuple[Pieces, bytes, Pieces, bytes],
    text_values: list[bytes],
    html_values: list[bytes],
) -> bytes:
    text_part, between, html_part, end = pieces
    out = [head]
    out += [piece if isinstance(piece, bytes) else text_values[piece] for piece in text_part]
    out.append(between)
    out += [piece if isinstance(piece, bytes) else html_values[piece] for piece in html_part]
    out.append(end)
    return b"".join(out)
