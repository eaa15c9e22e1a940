"""Issue 14: nothing is lost when `digest serve` is killed between a sign-up and its confirmation
email. The sign-up is taken while the mail server is down, the process is killed (SIGKILL, no
clean shutdown), the mail server comes up, and the restarted process sends the confirmation."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.smtp_server import SmtpTestServer, free_port
from tests.web.signup_site import TOKEN, serve_process, write_project


def test_a_sign_up_killed_before_its_email_gets_it_on_restart(tmp_path: Path):
    write_project(tmp_path, min_fill_seconds=0)
    smtp_port = free_port()  # nothing listens there yet: the mail server is down
    server, base = serve_process(tmp_path, smtp_port)
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
        server, _ = serve_process(tmp_path, smtp_port)
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
