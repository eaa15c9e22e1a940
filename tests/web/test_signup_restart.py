"""Issue 14: nothing is lost when `digest serve` is killed between a sign-up and its confirmation
email. The sign-up is taken while the mail server is down, the process is killed (SIGKILL, no
clean shutdown), the mail server comes up, and the restarted process sends the confirmation."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET
from tests.smtp_server import SmtpTestServer, free_port
from tests.web.signup_site import TOKEN, write_project


def _serve(folder: Path, smtp_port: int) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "DIGEST_SECRET": TEST_SECRET,
        "DIGEST_SMTP_HOST": "127.0.0.1",
        "DIGEST_SMTP_PORT": str(smtp_port),
    }
    digest = Path(sys.executable).parent / "digest"
    server = subprocess.Popen(
        [str(digest), "serve", "--port", "0"], cwd=folder, env=env, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    found = re.search(r"on (http://127\.0\.0\.1:\d+/weekly/) ", server.stdout.readline())
    assert found, "digest serve did not say where it listens"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(found[1] + "healthz", timeout=2)
            return server, found[1]
        except httpx.TransportError:
            assert time.monotonic() < deadline, "digest serve did not start"
            time.sleep(0.05)


def test_a_sign_up_killed_before_its_email_gets_it_on_restart(tmp_path: Path):
    write_project(tmp_path, min_fill_seconds=0)
    smtp_port = free_port()  # nothing listens there yet: the mail server is down
    server, base = _serve(tmp_path, smtp_port)
    try:
        with httpx.Client(timeout=10) as client:
            token = TOKEN.search(client.get(base + "subscribe").text)
            assert token
            answer = client.post(
                base + "subscribe", data={"email": "kept@example.com", "form_token": token[1]}
            )
            assert answer.status_code == 200
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    smtp = SmtpTestServer()
    smtp.port = smtp_port
    smtp.controller.port = smtp_port
    with smtp:
        server, _ = _serve(tmp_path, smtp_port)
        try:
            deadline = time.monotonic() + 15
            while not smtp.received and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=10)
        [mail] = smtp.received
        assert mail.rcpt_tos == ["kept@example.com"]
        assert "/weekly/confirm?token=" in mail.message().get_body(("plain",)).get_content()
