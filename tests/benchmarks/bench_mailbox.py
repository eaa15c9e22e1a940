"""Reading a feedback mailbox: speed and flat memory.

- A Maildir of 5,000 and of 50,000 small bounces read through `MaildirSource` (the flag check
  and the key per message included), against the stdlib's own `mailbox.Maildir` reading the same
  bytes (the reference, measured here). Peak memory (tracemalloc) for both sizes: flat means the
  50,000 read peaks near the 5,000 one, not ten times higher.
- An IMAP folder of 2,000 on a real dovecot (tests/imap_server.py): `ImapSource` against
  imap-tools' own bulk fetch of the same folder.
"""

from __future__ import annotations

import mailbox
import tempfile
import time
import tracemalloc
from pathlib import Path

from digest.feedback.mailbox import ImapAccount, ImapSource, MaildirSource
from tests.imap_server import ImapTestServer

SIZES = (5_000, 50_000)
IMAP_MESSAGES = 2_000


def _bounce(n: int) -> bytes:
    return (
        f"From: MAILER-DAEMON@mx.example.net\r\nMessage-ID: <dsn{n}@mx.example.net>\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n\r\n"
        f"<reader{n}@example.com>: host mx.example.com said: 550 5.1.1 no such user\r\n"
    ).encode()


def _maildir(folder: Path, count: int) -> Path:
    box = mailbox.Maildir(folder, create=True)
    for n in range(count):
        box.add(_bounce(n))
    box.close()
    return folder


def _timed_peak(action) -> tuple[float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def _ours(path: Path) -> None:
    source = MaildirSource(path)
    for _ in source.messages():
        pass
    source.close()


def _stdlib(path: Path) -> None:
    box = mailbox.Maildir(path, create=False)
    for key in box.iterkeys():
        box.get_bytes(key)
    box.close()


def _maildirs() -> None:
    peaks = {}
    with tempfile.TemporaryDirectory() as scratch:
        for count in SIZES:
            path = _maildir(Path(scratch) / f"m{count}", count)
            ours, peak = _timed_peak(lambda p=path: _ours(p))
            reference, reference_peak = _timed_peak(lambda p=path: _stdlib(p))
            peaks[count] = peak
            rates = f"{count / ours:8.0f} msg/s (stdlib alone {count / reference:8.0f}/s"
            memory = f"peak {peak / 1e6:.2f} MB (stdlib {reference_peak / 1e6:.2f} MB)"
            print(f"maildir {count:>6}: {rates}, ratio {ours / reference:.2f}x); {memory}")
    small, large = SIZES
    print(f"memory: {large // small}x the messages, {peaks[large] / peaks[small]:.2f}x the peak")


def _imap() -> None:
    with ImapTestServer() as imap:
        with imap.mailbox() as box:
            for n in range(IMAP_MESSAGES):
                box.append(_bounce(n), "INBOX")
        account = ImapAccount(imap.host, imap.port, imap.user, imap.password, security="none")
        started = time.perf_counter()
        source = ImapSource(account)
        read = sum(1 for _ in source.messages())
        source.close()
        ours = time.perf_counter() - started
        started = time.perf_counter()
        with imap.mailbox() as box:
            reference_read = sum(1 for _ in box.fetch(mark_seen=False, bulk=True))
        reference = time.perf_counter() - started
    assert read == reference_read == IMAP_MESSAGES
    alone = f"imap-tools bulk fetch alone {reference_read / reference:.0f}/s"
    print(f"imap {IMAP_MESSAGES}: {read / ours:.0f} msg/s ({alone}, ratio {ours / reference:.2f}x)")


def main() -> None:
    _maildirs()
    _imap()
