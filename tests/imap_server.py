"""A real IMAP server for the feedback tests: Debian's dovecot with a throwaway configuration, on a
free port of 127.0.0.1, one passwd-file user, Maildir storage in a temporary folder, stopped (and
its folder removed) at the end. Installed by tests/install-tools (`dovecot-imapd`).

Dovecot runs as the user running the tests. When that is root (a CI container), mail access
runs as `nobody` instead, since dovecot refuses mail access with uid 0; the folder is theirs.
With ``tls=True`` it speaks IMAP over TLS (port 993 style) with a certificate made for the run,
whose file the test trusts through ``ssl_context()``.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from imap_tools import MailBox, MailBoxUnencrypted

from tests.smtp_server import free_port

USER = "feedback@news.example.org"
PASSWORD = "a throwaway password"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
START_TIMEOUT = 10.0

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_login_user = {user}
default_internal_group = {group}
first_valid_uid = {uid}
last_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Processed {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _account() -> pwd.struct_passwd:
    me = pwd.getpwuid(os.getuid())
    return pwd.getpwnam("nobody") if me.pw_uid == 0 else me


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        [*request, *subject, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True
    )
    return cert, key


class ImapTestServer:
    """``with ImapTestServer() as imap:`` a running dovecot; ``imap.append(raw)`` puts a message in
    the user's INBOX; ``imap.port``, ``imap.user``, ``imap.password`` for the client."""

    def __init__(self, *, tls: bool = False) -> None:
        self.tls = tls
        self.user, self.password = USER, PASSWORD
        self.host = "127.0.0.1"
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="digest-imap-"))
        self.cert: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ImapTestServer:
        account = _account()
        self.root.chmod(0o755)
        (self.root / "home").mkdir()
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n", encoding="utf-8")
        ssl_files = ""
        if self.tls:
            self.cert, key = _certificate(self.root)
            ssl_files = f"ssl_cert = <{self.cert}\nssl_key = <{key}"
        imap_port, imaps_port = free_port(), free_port()
        self.port = imaps_port if self.tls else imap_port
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                ssl="required" if self.tls else "no",
                ssl_files=ssl_files,
                user=account.pw_name,
                group=grp.getgrgid(account.pw_gid).gr_name,
                uid=account.pw_uid,
                gid=account.pw_gid,
                imap_port=imap_port,
                imaps_port=imaps_port,
            ),
            encoding="utf-8",
        )
        os.chown(self.root / "home", account.pw_uid, account.pw_gid)
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot did not start: {self._log()}")
            try:
                with self.mailbox():
                    return
            except Exception:  # not listening yet
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not answer within {START_TIMEOUT} s: {self._log()}")

    def _log(self) -> str:
        log = self.root / "dovecot.log"
        stderr = self._process.stderr.read().decode() if self._process and self._process.stderr else ""
        return (log.read_text(encoding="utf-8") if log.exists() else "") + stderr

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this run's certificate (and nothing else)."""
        assert self.cert is not None, "a TLS server"
        return ssl.create_default_context(cafile=str(self.cert))

    def mailbox(self) -> MailBox | MailBoxUnencrypted:
        """A logged-in imap-tools client (the test's own hands; digest has its own)."""
        if self.tls:
            return MailBox(self.host, self.port, ssl_context=self.ssl_context()).login(
                self.user, self.password
            )
        return MailBoxUnencrypted(self.host, self.port).login(self.user, self.password)

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self.mailbox() as box:
            for raw in messages:
                box.append(raw, folder)

    def uids(self, folder: str = "INBOX") -> list[str]:
        with self.mailbox() as box:
            box.folder.set(folder)
            return [uid for uid in box.uids()]

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            if self._process.stderr:
                self._process.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)
