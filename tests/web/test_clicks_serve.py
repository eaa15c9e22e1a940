"""Issue 15: `digest serve` keeps clicks in memory and writes them in batches; stopped with SIGTERM,
it writes every click it still holds before it exits (a real process, real HTTP)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from digest.store import open_store
from digest.store.clicks import issue_clicks
from tests.conftest import TEST_SECRET
from tests.web.clicks_site import BROWSER, made_token

CLICKS = 40


def test_sigterm_writes_every_click_still_in_memory(tmp_path: Path):
    (tmp_path / "digest.toml").write_text(
        '[store]\npath = "digest.db"\n\n'
        "[tracking]\nclicks = true\ntoo_soon_seconds = 0\nburst_seconds = 60\n",
        encoding="utf-8",
    )
    digest = Path(sys.executable).parent / "digest"
    server = subprocess.Popen(
        [str(digest), "serve", "--port", "0"],
        cwd=tmp_path,
        env={**os.environ, "DIGEST_SECRET": TEST_SECRET},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        found = re.search(r"on (http://127\.0\.0\.1:\d+/) ", server.stdout.readline())
        assert found, "digest serve did not say where it listens"
        with httpx.Client(base_url=found[1], timeout=5, headers={"user-agent": BROWSER}) as client:
            for reader in range(1, CLICKS + 1):
                token = made_token("2026-W48", "lead", "https://example.org/story", subscriber=reader)
                assert client.get(f"/c/{token}").status_code == 302
        store = open_store(tmp_path / "digest.db")
        try:
            # A click waits out its burst window (60 s here) in memory: nothing is written yet.
            assert issue_clicks(store, "2026-W48").human == 0
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
            totals = issue_clicks(store, "2026-W48")
            assert (totals.human, totals.machine, totals.unique_clickers) == (CLICKS, 0, CLICKS)
        finally:
            store.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
