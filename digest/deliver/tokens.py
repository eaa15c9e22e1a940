"""Unsubscribe tokens: a subscriber id signed with HMAC-SHA256, bound to their address.

The stdlib's hmac does the cryptography; this is only the token's shape, kept to characters
that need no escaping in a URL or in quoted-printable (hex, ".", base64url), because a token
is made for every recipient of every issue. Binding the address means a token stops working
if its subscriber is erased, even should the id ever be reused.
"""

from __future__ import annotations

import base64
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from digest.errors import ConfigError

SECRET_ENV = "DIGEST_SECRET"
MIN_SECRET_LENGTH = 16
MAC_BYTES = 16
"""128 bits: no one guesses a valid token for someone else's id."""
PROOF_SUBSCRIBER_ID = 0
"""Proofs carry a token for id 0: a working link that unsubscribes nobody."""
PROOF_ADDRESS = "proof"
"""What a proof's token is bound to in place of an address (editors are not on the list)."""
MAX_SUBSCRIBER_ID = 2**63 - 1
"""SQLite's largest integer: an id past it cannot name a row (and would not bind to a query)."""
# Exactly what make_token writes: lowercase hex without leading zeros (int(x, 16) also reads
# "+1", " 1", "1_0", "0x1" and other scripts' digits), a dot, unpadded base64url of MAC_BYTES.
_TOKEN = re.compile(r"(0|[1-9a-f][0-9a-f]{0,15})\.[A-Za-z0-9_-]{22}")  # 22: MAC_BYTES in base64
DEV_SECRET = b"digest development secret: never for real subscribers"
"""Stands in for dry runs and proofs when no secret is set. Real sends and `digest serve` refuse it."""


class InvalidToken(ValueError):
    """Malformed, altered or forged."""


@dataclass(frozen=True)
class SigningSecret:
    value: bytes
    origin: str
    """Where it came from, for messages: the variable's or the file's name. Never the value."""

    @property
    def is_development(self) -> bool:
        return self.value == DEV_SECRET

    def __repr__(self) -> str:
        return f"SigningSecret(origin={self.origin!r})"


def load_secret(
    secret_file: Path | None, *, environ: Mapping[str, str] | None = None, allow_development: bool = False
) -> SigningSecret:
    """DIGEST_SECRET, else [newsletter] secret_file, else (only where allowed) the dev secret."""
    variables = os.environ if environ is None else environ
    if variables.get(SECRET_ENV):
        secret = SigningSecret(variables[SECRET_ENV].encode(), SECRET_ENV)
    elif secret_file is not None:
        try:
            secret = SigningSecret(
                secret_file.read_bytes().strip(), f"[newsletter] secret_file {secret_file}"
            )
        except OSError as e:
            raise ConfigError(
                f"[newsletter] secret_file: cannot read it: {e.strerror}", where=secret_file
            ) from None
    elif allow_development:
        return SigningSecret(DEV_SECRET, "the built-in development secret")
    else:
        raise ConfigError(
            f"no unsubscribe signing secret: set {SECRET_ENV} or [newsletter] secret_file "
            f"(e.g. a file made with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    if len(secret.value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{secret.origin}: the secret must be at least {MIN_SECRET_LENGTH} characters")
    return secret


def signature(secret: bytes, message: str, size: int = MAC_BYTES) -> bytes:
    """HMAC-SHA256 of `message`, cut to `size` bytes: every token digest signs is made here, each
    kind under its own label ("unsubscribe:", "return-path:") so one is never taken for another."""
    return hmac.digest(secret, message.encode(), "sha256")[:size]  # OpenSSL's one-shot HMAC: no Python object


def url_b64(data: bytes) -> str:
    """Bytes as unpadded base64url: how every digest token writes its MAC (safe in a URL and an
    address's local part)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(secret: bytes, subscriber_id: int, email_key: str) -> bytes:
    return signature(secret, f"unsubscribe:{subscriber_id:x}:{email_key}")


def make_token(secret: bytes, subscriber_id: int, email: str) -> str:
    if subscriber_id == PROOF_SUBSCRIBER_ID:
        email = PROOF_ADDRESS
    return f"{subscriber_id:x}.{url_b64(_mac(secret, subscriber_id, email.lower()))}"


def token_subscriber_id(token: str) -> int:
    """The id a token claims; `verify_token` must still check it against the subscriber's address."""
    shape = _TOKEN.fullmatch(token)
    if shape is None or int(shape.group(1), 16) > MAX_SUBSCRIBER_ID:
        raise InvalidToken("malformed token")
    return int(shape.group(1), 16)


def verify_token(secret: bytes, token: str, email: str) -> None:
    """Raises InvalidToken unless `token` was made with `secret` for this id and address."""
    subscriber_id = token_subscriber_id(token)
    expected = make_token(secret, subscriber_id, email)
    if not hmac.compare_digest(expected.encode(), token.encode("ascii")):  # the shape is ASCII
        raise InvalidToken("the token does not match")
