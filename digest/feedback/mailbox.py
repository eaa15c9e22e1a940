"""Where feedback arrives: an IMAP mailbox (over TLS by default, with imap-tools), a Maildir or an
mbox file. Each is read lazily, one message at a time, so a mailbox of 50,000 messages takes the
memory of one; each message is handed on with a stable key (its Message-ID, else a hash of its
bytes), which the store's processed table (digest/store/feedback_log.py) remembers, so that no
message is processed twice whatever the source does with its flags.

After a message is processed the source is told (`done`): IMAP moves it to the processed folder
(or, with none configured, flags it \\Seen); a Maildir marks it seen (S); an mbox is left as it is,
the processed table alone keeps it from counting twice. A dry run reads and tells nobody.
"""

from __future__ import annotations

import contextlib
import hashlib
import mailbox
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.errors import MessageError
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Literal, Protocol

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from digest.errors import DigestError

Security = Literal["tls", "starttls", "none"]
BATCH = 500
"""Messages fetched from IMAP per round trip: few round trips, and the memory of 500 at most."""


class MailboxError(DigestError):
    """A feedback mailbox that cannot be read: unreachable, refused login, missing folder or file."""

    exit_code = 3  # like a mail server that cannot be used


@dataclass(frozen=True, slots=True)
class ArrivedMessage:
    key: str
    """Its Message-ID, or ``sha256:<hex>`` of its bytes when it has none (or an empty one)."""
    raw: bytes
    source_ref: str
    """Where it is in its source (an IMAP uid, a Maildir key, an mbox index): for `done`."""


def message_key(raw: bytes) -> str:
    """The key a message is remembered by: its Message-ID, else the hash of its bytes."""
    try:
        header = BytesHeaderParser(policy=policy.compat32).parsebytes(raw).get("Message-ID", "")
    except (MessageError, ValueError, TypeError):  # headers a parser refuses are still a message
        header = ""
    message_id = " ".join(str(header).split())
    return message_id if message_id else "sha256:" + hashlib.sha256(raw).hexdigest()


class FeedbackSource(Protocol):
    """What `digest feedback fetch` reads: new messages, then `done` for each processed one."""

    def messages(self) -> Iterator[ArrivedMessage]: ...

    def done(self, message: ArrivedMessage) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    security: Security = "tls"
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    """Where processed messages go; empty: they stay, flagged \\Seen."""


class ImapSource:
    """The unseen messages of one IMAP folder, oldest first, fetched in batches."""

    def __init__(self, account: ImapAccount, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.account = account
        self._box = _login(account, ssl_context)

    def messages(self) -> Iterator[ArrivedMessage]:
        uids = self._box.uids("UNSEEN")
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            for fetched in self._box.fetch(uid_list=batch, mark_seen=False, bulk=True):
                raw = fetched.obj.as_bytes(policy=policy.compat32)
                yield ArrivedMessage(message_key(raw), raw, fetched.uid or "")

    def done(self, message: ArrivedMessage) -> None:
        if self.account.processed_folder:
            self._box.move(message.source_ref, self.account.processed_folder)
        else:
            self._box.flag(message.source_ref, r"\Seen", True)

    def close(self) -> None:
        self._box.logout()


def _login(
    account: ImapAccount, ssl_context: ssl.SSLContext | None
) -> MailBox | MailBoxStartTls | MailBoxUnencrypted:
    where = f"{account.host}:{account.port}"
    try:
        box: MailBox | MailBoxStartTls | MailBoxUnencrypted
        if account.security == "tls":
            box = MailBox(account.host, account.port, ssl_context=ssl_context or ssl.create_default_context())
        elif account.security == "starttls":
            box = MailBoxStartTls(account.host, account.port, ssl_context=ssl_context)
        else:
            box = MailBoxUnencrypted(account.host, account.port)
    except (OSError, ssl.SSLError) as e:
        raise MailboxError(f"cannot reach the feedback mailbox at {where}: {e}") from None
    try:
        box.login(account.user, account.password, initial_folder=None)
        box.folder.set(account.folder)
        if account.processed_folder and not box.folder.exists(account.processed_folder):
            box.folder.create(account.processed_folder)
    except MailboxLoginError:
        raise MailboxError(f"the feedback mailbox at {where} refused the login of {account.user!r}") from None
    except UnexpectedCommandStatusError as e:
        raise MailboxError(f"the feedback mailbox at {where}: {e}") from None
    return box


class MaildirSource:
    """The messages of a Maildir not marked seen (S), in new/ and cur/. Read straight from its
    folders, the flags from the file names (``<unique>:2,<flags>``), so memory stays that of one
    message however many there are (the stdlib's Maildir keeps a table of every file)."""

    def __init__(self, path: Path) -> None:
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise MailboxError(f"{path}: not a Maildir (it needs cur/ and new/ folders)")
        self.path = path

    def messages(self) -> Iterator[ArrivedMessage]:
        for folder in ("new", "cur"):
            with os.scandir(self.path / folder) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or "S" in _maildir_flags(entry.name):
                        continue
                    try:  # not Path(entry.path): pathlib interns every name it parses, for good
                        with open(entry.path, "rb") as file:
                            raw = file.read()
                    except (FileNotFoundError, IsADirectoryError):  # taken meanwhile, or not a message
                        continue
                    yield ArrivedMessage(message_key(raw), raw, f"{folder}/{entry.name}")

    def done(self, message: ArrivedMessage) -> None:
        """Marked seen the Maildir way: moved to cur/ with S among its flags."""
        folder, name = message.source_ref.split("/", 1)
        unique = name.split(":", 1)[0]
        flags = "".join(sorted(set(_maildir_flags(name)) | {"S"}))
        with contextlib.suppress(FileNotFoundError):  # another reader moved it first
            os.rename(self.path / folder / name, self.path / "cur" / f"{unique}:2,{flags}")

    def close(self) -> None:
        """Nothing held open between messages."""


def _maildir_flags(name: str) -> str:
    _, _, info = name.partition(":")
    return info[2:] if info.startswith("2,") else ""


class MboxSource:
    """Every message of an mbox file; the processed table keeps them from counting twice."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise MailboxError(f"{path}: no such mbox file")
        self._box = mailbox.mbox(path, create=False)

    def messages(self) -> Iterator[ArrivedMessage]:
        for key in self._box.iterkeys():
            raw = self._box.get_bytes(key)
            yield ArrivedMessage(message_key(raw), raw, str(key))

    def done(self, message: ArrivedMessage) -> None:
        """An mbox is the user's own file: digest never rewrites it."""

    def close(self) -> None:
        self._box.close()
