"""The DKIM keys [dkim] names, read and checked: one line naming the file and what is wrong."""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from digest.deliver.message import sender_domain
from digest.errors import ConfigError
from digest.settings import DeliverySettings

PrivateKey = RSAPrivateKey | Ed25519PrivateKey
SelectorKey = tuple[bytes, PrivateKey]
"""A key and the selector its public half is published under."""

MIN_RSA_BITS = 1024
"""RFC 8301: verifiers ignore signatures by smaller RSA keys (2048 is the common size)."""


def _private_key(path: Path, key: str) -> object:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"[dkim] {key}: cannot read it: {e.strerror}", where=path) from None
    try:
        return load_pem_private_key(data, password=None)
    except TypeError:
        message = f"[dkim] {key}: the key is encrypted (digest needs it without a passphrase)"
        raise ConfigError(message, where=path) from None
    except (ValueError, UnsupportedAlgorithm):
        return None


def rsa_key(path: Path) -> RSAPrivateKey:
    key = _private_key(path, "key_file")
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError(
            "[dkim] key_file: not a PEM RSA private key (openssl genrsa -traditional -out dkim.pem 2048)",
            where=path,
        )
    if key.key_size < MIN_RSA_BITS:
        raise ConfigError(
            f"[dkim] key_file: a {key.key_size}-bit RSA key; receivers ignore DKIM keys under "
            f"{MIN_RSA_BITS} bits (make a 2048-bit one)",
            where=path,
        )
    return key


def ed25519_key(path: Path) -> Ed25519PrivateKey:
    key = _private_key(path, "ed25519_key_file")
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(
            "[dkim] ed25519_key_file: not a PEM Ed25519 private key "
            "(openssl genpkey -algorithm ed25519 -out dkim-ed25519.pem)",
            where=path,
        )
    return key


def load_keys(delivery: DeliverySettings, from_address: str) -> tuple[bytes, tuple[SelectorKey, ...]]:
    """The signing domain (d=) and each key with its selector: RSA, then Ed25519 when configured."""
    settings, key_file = delivery.dkim, delivery.dkim_key_file
    if settings is None or key_file is None:
        raise ValueError("load_keys needs a [dkim] table")
    keys: list[SelectorKey] = [(settings.selector.encode(), rsa_key(key_file))]
    ed25519_file = delivery.dkim_ed25519_key_file
    if ed25519_file is not None:
        if settings.ed25519_selector in ("", settings.selector):
            raise ConfigError(
                "[dkim] ed25519_selector: the Ed25519 key needs a selector of its own "
                "(one DNS record holds one key)",
                where=ed25519_file,
            )
        keys.append((settings.ed25519_selector.encode(), ed25519_key(ed25519_file)))
    domain = settings.domain or sender_domain(from_address)
    return domain.encode("idna"), tuple(keys)
