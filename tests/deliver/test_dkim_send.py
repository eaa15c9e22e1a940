"""DKIM through `digest send` to a real SMTP server (aiosmtpd): every copy's RSA and Ed25519
signatures verified by dkimpy, the body canonicalised in pieces, bad keys refused in one line."""

from __future__ import annotations

import base64
import csv
import subprocess
from pathlib import Path

import dkim
import pytest
from click.testing import CliRunner

import digest.deliver.dkim_canon as canon
from digest.cli import main
from tests.conftest import TEST_SECRET, replace_everywhere
from tests.smtp_server import SmtpTestServer

DOMAIN = b"meridian-media.example"

# Names that fold the To header, need RFC 2047, put whitespace and QP's "=" next to a splice
# point, or look like encoded words: the greeting, the To header and the links carry them.
NAMES = [
    ("José  Müller", ""),
    ("山田 太郎", "太郎"),
    ("Mia 🌊 Wave", "Mia 🌊"),
    ("Sir Bartholomew Alexander Fitzgerald-Montgomery of the Exceedingly Long Name Hall", ""),
    ("Ann =?utf-8?q?x?= Lee", "Ann ="),
    ("Bob = End", "Bob ="),
    ("", ""),
    ("O'Brien", ""),
    ("Zoë  ", "  Zoë"),
    ('"Quoted, Name"', ""),
]
READERS = 36


def _openssl(*args: str) -> bytes:
    return subprocess.run(["openssl", *args], check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path | bytes]:
    """An RSA key and an Ed25519 key, and their DNS records' p= values."""
    folder = tmp_path_factory.mktemp("dkim")
    rsa, ed = folder / "dkim.pem", folder / "dkim-ed25519.pem"
    _openssl("genrsa", "-traditional", "-out", str(rsa), "2048")
    _openssl("genpkey", "-algorithm", "ed25519", "-out", str(ed))
    rsa_public = base64.b64encode(_openssl("rsa", "-in", str(rsa), "-pubout", "-outform", "DER"))
    ed_public = base64.b64encode(_openssl("pkey", "-in", str(ed), "-pubout", "-outform", "DER")[-32:])
    return {"rsa": rsa, "ed25519": ed, "rsa_p": rsa_public, "ed25519_p": ed_public}


def dns_for(keys) -> dkim.DNSFunc:
    records = {
        b"news2025._domainkey." + DOMAIN + b".": b"v=DKIM1; k=rsa; p=" + keys["rsa_p"],
        b"ed2025._domainkey." + DOMAIN + b".": b"v=DKIM1; k=ed25519; p=" + keys["ed25519_p"],
    }
    return lambda name, timeout=5: records.get(name, b"")


@pytest.fixture
def project(send_project: Path, tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(send_project.parent)
    with open(tmp_path / "list.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "first_name"])
        for n in range(READERS):
            name, first = NAMES[n % len(NAMES)]
            writer.writerow([f"reader{n}@example.com", name, first])
    imported = cli("subscribers", "import", tmp_path / "list.csv")
    assert imported.exit_code == 0, imported.output
    return send_project


def cli(*args, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def configure(project: Path, table: str) -> None:
    toml = project.parent / "digest.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n[dkim]\n{table}\n", encoding="utf-8")


def test_every_copy_carries_an_rsa_and_an_ed25519_signature_dkimpy_verifies(project, keys, monkeypatch):
    configure(
        project,
        f'selector = "news2025"\nkey_file = "{keys["rsa"]}"\n'
        f'ed25519_selector = "ed2025"\ned25519_key_file = "{keys["ed25519"]}"',
    )
    whole, relaxed_body = [], canon.relaxed_body
    replace_everywhere(monkeypatch, relaxed_body, lambda body: whole.append(body) or relaxed_body(body))
    with SmtpTestServer() as server:
        sent = cli("send", project, env=server.environ(DIGEST_SECRET=TEST_SECRET))
    assert sent.exit_code == 0, sent.output
    assert len(server.received) == READERS
    assert len(whole) == 1  # the key check's message; every copy was canonicalised in pieces
    dns = dns_for(keys)
    for received in server.received:
        message = received.data
        assert message.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
        signatures = received.message().get_all("DKIM-Signature")
        assert [s.split(";")[1].strip() for s in signatures] == ["a=rsa-sha256", "a=ed25519-sha256"]
        for idx in (0, 1):
            assert dkim.DKIM(message).verify(idx=idx, dnsfunc=dns), (idx, message[:2000])
        tampered = message.replace(b"Meridian", b"Merdian", 1)
        assert not any(dkim.DKIM(tampered).verify(idx=idx, dnsfunc=dns) for idx in (0, 1))


def test_a_key_digest_cannot_use_stops_the_send_in_one_line(project, keys, tmp_path):
    small, encrypted = tmp_path / "small.pem", tmp_path / "locked.pem"
    _openssl("genrsa", "-traditional", "-out", str(small), "768")
    _openssl("genrsa", "-aes256", "-passout", "pass:secret", "-out", str(encrypted), "2048")
    cases = [
        (f'key_file = "{keys["ed25519"]}"', "[dkim] key_file: not a PEM RSA private key"),
        (
            f'key_file = "{small}"',
            "[dkim] key_file: a 768-bit RSA key; receivers ignore DKIM keys under 1024",
        ),
        (f'key_file = "{encrypted}"', "[dkim] key_file: the key is encrypted"),
        (f'key_file = "{tmp_path / "absent.pem"}"', "[dkim] key_file: cannot read it"),
        (
            f'key_file = "{keys["rsa"]}"\ned25519_selector = "ed"\ned25519_key_file = "{keys["rsa"]}"',
            "[dkim] ed25519_key_file: not a PEM Ed25519 private key",
        ),
        (
            f'key_file = "{keys["rsa"]}"\ned25519_key_file = "{keys["ed25519"]}"',
            "[dkim] ed25519_selector: the Ed25519 key needs a selector of its own",
        ),
    ]
    toml = project.parent / "digest.toml"
    settings = toml.read_text(encoding="utf-8")
    with SmtpTestServer() as server:
        for table, expected in cases:
            toml.write_text(f'{settings}\n[dkim]\nselector = "news2025"\n{table}\n', encoding="utf-8")
            refused = cli("send", project, env=server.environ(DIGEST_SECRET=TEST_SECRET))
            assert refused.exit_code == 2 and expected in refused.stderr, (table, refused.output)
            assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.output
        assert not server.received
