"""DKIM signatures over each finished message, so receivers can check it is ours (RFC 6376).

RSA-SHA256 through OpenSSL (the `cryptography` package), and beside it, when an Ed25519 key is
configured, a second signature with Ed25519-SHA256 (RFC 8463): receivers that know the newer
algorithm check it, the others the RSA one. Both are relaxed/relaxed. The body is canonicalised
in pieces (dkim_canon): a signer made `for_template` canonicalises the issue's static runs once
and per copy only the bytes around the recipient's values.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass, field, replace
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from digest.deliver.dkim_canon import CRLF, BodyLayout, body_layout, canonical_body, relaxed_header
from digest.deliver.dkim_keys import PrivateKey, SelectorKey, load_keys
from digest.settings import DeliverySettings

# Everything a receiver shows or acts on, List-Unsubscribe(-Post) included: Gmail honours
# one-click unsubscribe only when the signature covers both. All are named in h= even when a copy
# lacks one (Reply-To), so nobody can add it without breaking the signature.
SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"list-id",
    b"list-unsubscribe", b"list-unsubscribe-post", b"mime-version", b"content-type",
)  # fmt: skip

_HEADER_END = re.compile(rb"\r?\n\r?\n")
"""The empty line after the header (a bare LF is a line end, as dkimpy and receivers read it)."""
_FIELD_END = re.compile(rb"\r?\n(?![ \t])")
"""A line end that no folded line continues: where one header field ends and the next starts."""
KNOWN_FIELDS = 64
"""Canonical header fields a signer keeps: the first copy's shared ones, and a few others."""
LINE = 76
"""Longest line of a DKIM-Signature header we write (the CRLF not counted)."""
B_LINE = LINE - 4
"""Characters of the signature per line (" b=" or " " before them)."""


class SplicedMessages(Protocol):
    """A MessageTemplate: the body's static runs of each variant, a recipient's values between."""

    def static_runs(self) -> tuple[tuple[bytes, ...], ...]: ...


def _algorithm(key: PrivateKey) -> bytes:
    return b"ed25519-sha256" if isinstance(key, Ed25519PrivateKey) else b"rsa-sha256"


def _sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        return key.sign(hashlib.sha256(data).digest())  # RFC 8463: Ed25519 over the SHA-256 digest
    return key.sign(data, PKCS1v15(), hashes.SHA256())


def _header_list() -> bytes:
    """` h=from:to:…;` folded after a colon where a line would grow past LINE."""
    lines, line = [], b" h="
    for i, name in enumerate(SIGNED_HEADERS):
        word = name + (b";" if i == len(SIGNED_HEADERS) - 1 else b":")
        if len(line) + len(word) > LINE:
            lines.append(line)
            line = b" "
        line += word
    return CRLF.join([*lines, line])


H_TAG = _header_list()


def signed_header_data(head: bytes, known: dict[bytes, bytes]) -> bytes:
    """The canonical fields SIGNED_HEADERS names, in its order: the bottom-most of each name that
    occurs (as dkimpy picks them; every name is listed once, so one field each). `known` keeps the
    canonical form of fields seen before: those every copy shares are canonicalised once."""
    last: dict[bytes, bytes] = {}
    for raw in _FIELD_END.split(head):
        if not raw:
            continue  # after the last field's line end, when the message has no body
        last[raw[: raw.find(b":")].rstrip().lower()] = raw
    out = []
    for name in SIGNED_HEADERS:
        raw = last.get(name)
        if raw is None:
            continue
        canonical = known.get(raw)
        if canonical is None:
            colon = raw.find(b":")
            canonical = relaxed_header(raw[:colon], raw[colon + 1 :])
            if len(known) < KNOWN_FIELDS:
                known[raw] = canonical
        out.append(canonical)
    return b"".join(out)


@dataclass(frozen=True)
class DkimSigner:
    domain: bytes
    keys: tuple[SelectorKey, ...] = field(repr=False)
    """The RSA key, then the Ed25519 one when configured, with their selectors: one DKIM-Signature each."""
    layouts: tuple[BodyLayout, ...] = field(default=(), repr=False)
    """The static runs of the issue's copies (see `for_template`); none: each body canonicalised whole."""
    known: dict[bytes, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Canonical header fields already seen (see `signed_header_data`)."""

    def for_template(self, template: SplicedMessages) -> DkimSigner:
        """This signer with the template's static runs canonicalised once, for its copies."""
        return replace(self, layouts=tuple(body_layout(runs) for runs in template.static_runs()))

    def sign(self, message: bytes) -> bytes:
        """The message with its DKIM-Signature header(s) prepended."""
        split = _HEADER_END.search(message)
        head, body = (message, b"") if split is None else (message[: split.start()], message[split.end() :])
        body_hash = hashlib.sha256()
        for piece in canonical_body(body, self.layouts):
            body_hash.update(piece)
        body_hash_b64, timestamp = base64.b64encode(body_hash.digest()), int(time.time())
        headers = signed_header_data(head, self.known)
        signatures = (
            self._signature(key, self._tags(selector, body_hash_b64, timestamp), headers)
            for selector, key in self.keys
        )
        return b"".join(signatures) + message

    def _tags(self, selector: bytes, body_hash: bytes, timestamp: int) -> bytes:
        """Every tag after a=, folded; b= last, empty (it is what gets signed)."""
        return b"".join(
            (
                b"; c=relaxed/relaxed;",
                CRLF,
                b" d=%s; s=%s; t=%d;" % (self.domain, selector, timestamp),
                CRLF,
                H_TAG,
                CRLF,
                b" bh=%s;" % body_hash,
                CRLF,
                b" b=",
            )
        )

    def _signature(self, key: PrivateKey, tags: bytes, headers: bytes) -> bytes:
        value = b" v=1; a=" + _algorithm(key) + tags
        # The signature field itself is hashed last, b= empty, without its line end (§3.7).
        signature = base64.b64encode(_sign(key, headers + relaxed_header(b"DKIM-Signature", value)[:-2]))
        folded = b"\r\n ".join(signature[i : i + B_LINE] for i in range(0, len(signature), B_LINE))
        return b"DKIM-Signature:" + value + folded + CRLF


def load_signer(
    delivery: DeliverySettings, from_address: str, template: SplicedMessages | None = None
) -> DkimSigner:
    """The signer [dkim] describes, its keys read and tried now (a bad key stops the run before any
    send), for `template`'s copies when given."""
    domain, keys = load_keys(delivery, from_address)
    signer = DkimSigner(domain, keys)
    signer.sign(b"From: test@" + domain + b"\r\nSubject: key check\r\n\r\nkey check\r\n")
    return signer if template is None else signer.for_template(template)
