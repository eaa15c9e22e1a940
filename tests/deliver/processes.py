"""Real `digest` processes against the tests' SMTP server, for the kill, race and fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import TEST_SECRET
from tests.smtp_server import SmtpTestServer


def digest(
    server: SmtpTestServer, *args: str | Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`python -m digest ARGS` with the server's host and port and the test secret."""
    env = {**os.environ, **server.environ(DIGEST_SECRET=TEST_SECRET), **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "digest", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A shell's background job inherits SIGINT ignored, and Python then keeps it ignored: give
        # the child a terminal user's Ctrl-C whatever started the test run.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_copies(process: subprocess.Popen, server: SmtpTestServer, copies: int, deadline: float) -> None:
    """Until the server has counted `copies` messages (the process must still be running)."""
    while sum(server.copies.values()) < copies:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the send did not progress"
        time.sleep(0.002)


def finish(process: subprocess.Popen, timeout: float = 90) -> tuple[int, str, str]:
    """Wait for the process; its exit code, stdout and stderr."""
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out.decode(), err.decode()
