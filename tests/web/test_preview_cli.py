"""`digest preview` as a user runs it: a real process, a real port, Ctrl-C to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from digest.web.serving import bind


def test_preview_prints_its_address_serves_the_issue_and_stops_on_ctrl_c(meridian: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "preview", str(meridian), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("Previewing 2 issue(s) under ")
        url = process.stdout.readline().split()[0]
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/issues/meridian-2025-01-08/"), "it opens on the issue it was given"
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200
        assert "The Kremlin goes recruiting next door" in response.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in process.stderr.read()


def test_a_busy_port_is_one_clear_line(meridian: Path):
    taken = bind("127.0.0.1", 0)
    port = taken.getsockname()[1]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "digest", "preview", str(meridian), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        taken.close()
    assert result.returncode == 2
    assert result.stderr == f"error: port {port} on 127.0.0.1 is in use; pass --port with another one\n"
