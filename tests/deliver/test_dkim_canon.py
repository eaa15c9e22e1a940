"""Relaxed canonicalisation in pieces (static runs once, the gaps per copy) equals dkimpy's whole."""

from __future__ import annotations

import base64
from dataclasses import replace

import dkim
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from dkim.canonicalization import Relaxed
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.deliver.dkim_canon import body_layout, canonical_body, canonical_pieces, relaxed_header
from digest.deliver.dkim_signing import DkimSigner

# Bytes that make the rules fire (runs of space and tab, line ends, bare CR and LF, QP's "=")
# and a few that do not: a splice point next to whitespace or a line end is the hard case.
HOSTILE = st.binary(max_size=12).map(lambda b: b.translate(bytes(b" \t\r\nab=\xc3" * 32)[:256]))
RUNS = st.lists(HOSTILE, min_size=1, max_size=6)


@pytest.fixture(scope="module")
def signing_keys():
    """A signer with an RSA and an Ed25519 key, and the DNS that publishes them."""
    rsa_key, ed_key = rsa.generate_private_key(65537, 2048), ed25519.Ed25519PrivateKey.generate()
    rsa_public = rsa_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ed_public = ed_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    records = {
        b"r._domainkey.example.com.": b"v=DKIM1; k=rsa; p=" + base64.b64encode(rsa_public),
        b"e._domainkey.example.com.": b"v=DKIM1; k=ed25519; p=" + base64.b64encode(ed_public),
    }
    signer = DkimSigner(b"example.com", ((b"r", rsa_key), (b"e", ed_key)))
    return signer, lambda name, timeout=5: records.get(name, b"")


def dkimpy_body(body: bytes) -> bytes:
    """The canonical body dkimpy signs and verifies: read as it reads a message (a bare LF is a
    line end there), then canonicalised."""
    return Relaxed.canonicalize_body(dkim.rfc822_parse(b"X: y\r\n\r\n" + body)[1])


def spliced(runs: list[bytes], values: list[bytes]) -> bytes:
    out = []
    for i, run in enumerate(runs):
        out.append(run)
        if i < len(runs) - 1:
            out.append(values[i % len(values)])
    return b"".join(out)


@given(runs=RUNS, values=st.lists(HOSTILE, min_size=1, max_size=6))
@example(runs=[b"Hi  ", b" \r\n\r\n"], values=[b" \t"])
@example(runs=[b"a\r", b"\n b \r\n"], values=[b""])
@example(runs=[b"\r\n", b"x"], values=[b"\r\n\r\n"])
@example(runs=[b"x \t", b"\r\n  \r\n"], values=[b"\t"])
def test_pieces_equal_the_whole_canonical_body(runs, values):
    body = spliced(runs, values)
    expected = dkimpy_body(body)
    pieces = canonical_pieces(body, body_layout(runs))
    assert pieces is not None  # every run is where the splice put it
    assert b"".join(pieces) == expected


@given(body=st.binary(max_size=40).map(lambda b: b.translate(bytes(b" \t\r\nab=" * 37)[:256])), runs=RUNS)
def test_any_body_with_any_layout_canonicalises_right(body, runs):
    """A copy that is not the layout's (another variant, a changed template) is still right."""
    assert b"".join(canonical_body(body, [body_layout(runs)])) == dkimpy_body(body)


@given(value=HOSTILE.map(lambda v: b" " + v.replace(b"\r\n", b"\r\n ") + b"\r\n"))
def test_a_header_canonicalises_as_dkimpy_does(value):
    ((name, canonical),) = Relaxed.canonicalize_headers([(b"List-Id", value)])
    assert relaxed_header(b"List-Id", value) == name + b":" + canonical


FOLDED = st.lists(st.text(st.sampled_from("ab =\tä:;"), max_size=12), min_size=1, max_size=4).map(
    lambda words: "\r\n ".join(words).encode()
)


@given(
    subject=FOLDED,
    to=FOLDED,
    extra=st.sampled_from([b"", b"List-Id: <a.example>\r\n", b"To: second@example.com\r\n"]),
    runs=RUNS,
    values=st.lists(HOSTILE, min_size=1, max_size=4),
)
@settings(max_examples=40, deadline=None)
def test_any_signed_message_verifies_with_dkimpy(signing_keys, subject, to, extra, runs, values):
    """Folded fields, repeated ones, whitespace at the splice points: both signatures verify."""
    signer, dns = signing_keys
    body = spliced(runs, values)
    head = b"From: news@example.com\r\nTo: " + to + b"\r\nSubject:" + subject + b"\r\n" + extra
    message = head + b"MIME-Version: 1.0\r\n\r\n" + body
    for layouts in ((), (body_layout(runs),)):
        signed = replace(signer, layouts=layouts).sign(message)
        assert signed.endswith(message)
        for idx in (0, 1):
            assert dkim.DKIM(signed).verify(idx=idx, dnsfunc=dns)
