"""`digest serve` under a base_url with a path (issue 12, item 16): every emailed unsubscribe link is
`https://example.org/weekly/unsubscribe?token=…`, so the site answers under /weekly (and at the
root, for a proxy that strips the prefix); `--port 0` takes any free port and says which."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from digest.deliver.tokens import make_token
from digest.store import open_store
from digest.store.subscribers import add_subscriber
from tests.conftest import TEST_SECRET

PROJECT = """\
[newsletter]
name = "The Weekly"
publication = "Example Press"
from = "The Weekly <weekly@example.org>"
base_url = "https://example.org/weekly"
postal_address = "1 Main Street, Springfield, 12345, USA"
"""


def test_serve_answers_under_the_base_urls_path_on_a_free_port(tmp_path: Path):
    (tmp_path / "digest.toml").write_text(PROJECT, encoding="utf-8")
    store = open_store(tmp_path / "digest.db")
    ana, _ = add_subscriber(store, "ana@example.com", "Ana")
    store.close()
    token = make_token(TEST_SECRET.encode(), ana.id, ana.email)
    digest = Path(sys.executable).parent / "digest"
    env = {**os.environ, "DIGEST_SECRET": TEST_SECRET}
    server = subprocess.Popen(
        [str(digest), "serve", "--port", "0"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:(\d+)/weekly/) ", line)
        assert match and match.group(2) != "0", line
        base = match.group(1)
        with httpx.Client(timeout=5) as client:
            deadline = time.monotonic() + 10
            while True:
                try:
                    health = client.get(base + "healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "digest serve did not start"
                    time.sleep(0.05)
            assert health.text == "ok\n"
            confirm = client.get(base + "unsubscribe", params={"token": token})
            assert confirm.status_code == 200 and "The Weekly" in confirm.text
            root = base.removesuffix("weekly/")
            assert client.get(root + "unsubscribe", params={"token": token}).status_code == 200
            done = client.post(
                base + "unsubscribe", params={"token": token}, data={"List-Unsubscribe": "One-Click"}
            )
            assert done.status_code == 200
            assert client.get(base + "unsubscribe", params={"token": "forged"}).status_code == 400
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_port_in_use_is_one_line_not_a_traceback(tmp_path: Path):
    (tmp_path / "digest.toml").write_text(PROJECT, encoding="utf-8")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [str(Path(sys.executable).parent / "digest"), "serve", "--port", port],
            cwd=tmp_path,
            env={**os.environ, "DIGEST_SECRET": TEST_SECRET},
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in result.stderr
