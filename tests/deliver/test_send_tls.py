"""STARTTLS, implicit TLS and AUTH against a real aiosmtpd server with a certificate made here."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from digest.deliver.send import Purpose, send_issue
from digest.pipeline import prepare_folder
from digest.store import open_store
from digest.store.subscribers import add_subscriber
from tests.conftest import TEST_SECRET
from tests.smtp_server import SmtpTestServer

ENV = {"DIGEST_SECRET": TEST_SECRET}
USER, PASSWORD = "mailer", "correct horse battery staple"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def trusted(certificate, monkeypatch) -> ssl.SSLContext:
    """The server's TLS context; the client trusts the certificate through SSL_CERT_FILE."""
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode(),
    )  # fmt: skip
    # handled=False: aiosmtpd answers a refusal with 535 itself (True would mean "already answered").
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def project(send_project: Path, security: str) -> Path:
    toml = send_project.parent / "digest.toml"
    toml.write_text(
        toml.read_text().replace('security = "none"', f'security = "{security}"\nusername = "{USER}"')
    )
    return send_project


def send(folder: Path, server: SmtpTestServer, password: str):
    prepared = prepare_folder(folder, Purpose.SEND, environ=ENV)
    store = open_store(prepared.delivery.store_path)
    add_subscriber(store, "ana@example.com", "Ana")
    add_subscriber(store, "bo@example.com")
    try:
        return send_issue(prepared, store, environ={**ENV, **server.environ(DIGEST_SMTP_PASSWORD=password)})
    finally:
        store.close()


def test_starttls_and_login(send_project: Path, trusted):
    folder = project(send_project, "starttls")
    options = {"tls_context": trusted, "require_starttls": True, "authenticator": authenticator,
               "auth_required": True}  # fmt: skip
    with SmtpTestServer(**options) as server:
        result = send(folder, server, PASSWORD)
    assert result.run.sent == 2
    assert [(r.tls, r.login) for r in server.received] == [(True, USER), (True, USER)]


def test_implicit_tls_and_login(send_project: Path, trusted):
    folder = project(send_project, "tls")
    # aiosmtpd cannot tell an implicit-TLS connection is encrypted; it is, so let it offer AUTH.
    options = {"ssl_context": trusted, "authenticator": authenticator, "auth_require_tls": False}
    with SmtpTestServer(**options) as server:
        result = send(folder, server, PASSWORD)
    assert result.run.sent == 2
    assert all(r.tls and r.login == USER for r in server.received)


def test_a_refused_login_stops_the_run_and_never_shows_the_password(send_project: Path, trusted):
    folder = project(send_project, "starttls")
    with SmtpTestServer(tls_context=trusted, authenticator=authenticator, auth_required=True) as server:
        result = send(folder, server, "wrong password")
    assert result.run.sent == 0 and result.run.stopped
    assert "refused the login for [smtp] username" in result.run.error
    assert "wrong password" not in result.run.error
    assert result.pending == 2 and server.received == []


def test_starttls_required_but_not_offered(send_project: Path):
    folder = project(send_project, "starttls")
    with SmtpTestServer() as server:
        result = send(folder, server, PASSWORD)
    assert result.run.stopped and "does not offer STARTTLS" in result.run.error


def test_an_untrusted_certificate_is_refused(send_project: Path, certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)  # the client is not told to trust it
    folder = project(send_project, "starttls")
    with SmtpTestServer(tls_context=context, authenticator=authenticator) as server:
        result = send(folder, server, PASSWORD)
    assert result.run.stopped and "TLS with 127.0.0.1" in result.run.error
    assert server.received == []


@pytest.fixture
def contexts_made(monkeypatch) -> list[ssl.SSLContext]:
    """Every TLS context the client makes from here on (the real ones, counted)."""
    from digest.deliver import smtp_target

    smtp_target._tls_context.cache_clear()
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counted(*args, **kwargs) -> ssl.SSLContext:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    return made


def test_plain_connections_make_no_tls_context(send_project: Path, contexts_made):
    """Loading the system's certificates costs milliseconds per connection: without TLS, none is made."""
    with SmtpTestServer() as server:
        assert send(send_project, server, PASSWORD).run.sent == 2
    assert contexts_made == []


def test_one_tls_context_for_every_connection(send_project: Path, trusted, contexts_made):
    """Sends open connection after connection (a worker's batches): they share one context."""
    folder = project(send_project, "starttls")
    options = {"tls_context": trusted, "authenticator": authenticator, "auth_required": True}
    with SmtpTestServer(**options) as server:
        for _ in range(2):
            send(folder, server, PASSWORD)
        assert len(server.received) == 2  # the second send found both sent already
    assert len(contexts_made) == 1
