"""DKIM signatures (dkimpy) over each finished message, so receivers can check it is ours."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dkim

from digest.deliver.message import sender_domain
from digest.errors import ConfigError
from digest.settings import DkimSettings

# Everything a receiver shows or acts on, List-Unsubscribe(-Post) included: Gmail honours
# one-click unsubscribe only when the signature covers both.
SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"list-id",
    b"list-unsubscribe", b"list-unsubscribe-post", b"mime-version", b"content-type",
)  # fmt: skip


@dataclass(frozen=True)
class DkimSigner:
    selector: bytes
    domain: bytes
    private_key: bytes

    def __repr__(self) -> str:
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r})"

    def sign(self, message: bytes) -> bytes:
        """The message with its DKIM-Signature header prepended."""
        signature = dkim.sign(
            message,
            self.selector,
            self.domain,
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        )
        return signature + message


def load_signer(settings: DkimSettings, key_file: Path, from_address: str) -> DkimSigner:
    """Read the key and sign a test message now, so a bad key stops the run before any send."""
    try:
        key = key_file.read_bytes()
    except OSError as e:
        raise ConfigError(f"[dkim] key_file: cannot read it: {e.strerror}", where=key_file) from None
    domain = settings.domain or sender_domain(from_address)
    signer = DkimSigner(settings.selector.encode(), domain.encode("idna"), key)
    try:
        signer.sign(b"From: test@" + domain.encode("idna") + b"\r\nSubject: key check\r\n\r\nkey check\r\n")
    except (dkim.DKIMException, ValueError, IndexError) as e:
        raise ConfigError(
            f"[dkim] key_file: not a usable PEM RSA private key ({e})", where=key_file
        ) from None
    return signer
