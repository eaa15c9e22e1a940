"""Where a send's SMTP connections go: [smtp] with the environment's overrides (host, port, the
password, which only the environment gives), and the one TLS context its connections share."""

from __future__ import annotations

import functools
import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from digest.errors import ConfigError
from digest.settings import SmtpSettings

PASSWORD_ENV = "DIGEST_SMTP_PASSWORD"
HOST_ENV = "DIGEST_SMTP_HOST"
PORT_ENV = "DIGEST_SMTP_PORT"


@dataclass(frozen=True)
class SmtpTarget:
    """Settings after the environment's overrides, with the password (never printed)."""

    settings: SmtpSettings
    host: str
    port: int
    password: str | None = None

    def __repr__(self) -> str:
        return f"SmtpTarget(host={self.host!r}, port={self.port}, security={self.settings.security!r})"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def resolve_target(settings: SmtpSettings, environ: Mapping[str, str] | None = None) -> SmtpTarget:
    """[smtp] with DIGEST_SMTP_HOST / DIGEST_SMTP_PORT / DIGEST_SMTP_PASSWORD applied."""
    variables = os.environ if environ is None else environ
    host = variables.get(HOST_ENV) or settings.host
    if not host:
        raise ConfigError(f"[smtp] host is not set (nor {HOST_ENV}): it is needed to send mail")
    port = settings.effective_port
    if variables.get(PORT_ENV):
        raw = variables[PORT_ENV]
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise ConfigError(f"{PORT_ENV}: must be a port number from 1 to 65535 (got {raw!r})")
        port = int(raw)
    password = variables.get(PASSWORD_ENV) or None
    if settings.username and password is None:
        raise ConfigError(
            f"[smtp] username is set but {PASSWORD_ENV} is not: the password comes only from there"
        )
    return SmtpTarget(settings=settings, host=host, port=port, password=password)


def tls_context() -> ssl.SSLContext:
    """The TLS context, made when a connection first needs one and then kept: loading the system's
    certificates costs milliseconds, and a send opens connections batch after batch (workers.py).
    Kept per certificate location, which the environment may name (SSL_CERT_FILE, SSL_CERT_DIR)."""
    with _TLS_CONTEXT_LOCK:  # a send's connections open at once: one makes it, the others wait
        return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


_TLS_CONTEXT_LOCK = threading.Lock()


@functools.cache
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return ssl.create_default_context()
