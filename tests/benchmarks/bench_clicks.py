"""GET /c/<token> under load: redirects a second, p50/p99 latency, for DURATION seconds.

`digest serve` runs as its own process on 127.0.0.1 with [tracking] clicks on, held to one core
(CPU 0) where the machine has two or more, the load generator on the others. The load generator
is bounded: CONNECTIONS keep-alive connections on one asyncio loop, each sending one whole request
(one write) and reading the answer before the next, so at most CONNECTIONS requests are ever in
flight. The tokens are TOKENS readers' lead links (a reader clicking again and again within the
burst window is judged a scanner: that work is the flusher thread's, off the request's path).
Reference: HEAD /healthz of the same server, measured the same way in the same run (HEAD: a body
sent in a second write would wait out the client's delayed ACK, measuring TCP, not the server).
Afterwards, SIGTERM: every click must be in the store (human + machine = redirects answered).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digest.store import open_store
from digest.store.clicks import issue_clicks
from tests.conftest import TEST_SECRET
from tests.web.clicks_site import BROWSER, made_token

DURATION = 10.0
REFERENCE_SECONDS = 5.0
CONNECTIONS = 16
TOKENS = 2000
TARGET_PER_SECOND = 3000
TARGET_P99_MS = 20.0
ISSUE = "2026-W48"
_CPUS = os.cpu_count() or 1


async def _connection(
    host: str, port: int, paths: list[str], stop_at: float, latencies: list[float], method: str
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    requests = [
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {BROWSER}\r\n\r\n".encode()
        for path in paths
    ]
    count = 0
    try:
        while time.perf_counter() < stop_at:
            request = requests[count % len(requests)]
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            if length and int(length[1]) and method != "HEAD":
                await reader.readexactly(int(length[1]))
            latencies.append(time.perf_counter() - started)
            count += 1
    finally:
        writer.close()
    return count


async def _load(
    host: str, port: int, paths: list[str], seconds: float, method: str = "GET"
) -> tuple[list[float], float]:
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    began = time.perf_counter()
    share = [paths[i::CONNECTIONS] or paths for i in range(CONNECTIONS)]
    await asyncio.gather(*(_connection(host, port, mine, stop_at, latencies, method) for mine in share))
    return latencies, time.perf_counter() - began


def _figures(
    name: str, latencies: list[float], elapsed: float, reference: float | None = None
) -> tuple[float, float]:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1e3
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1e3
    rate = len(ordered) / elapsed
    ratio = f"  ({rate / reference:.2f}x the reference's rate)" if reference else ""
    print(f"{name}: {rate:.0f}/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms{ratio}")
    return rate, p99


def _serve(folder: Path) -> tuple[subprocess.Popen[str], str, int]:
    (folder / "digest.toml").write_text(
        '[store]\npath = "digest.db"\n\n[tracking]\nclicks = true\ntoo_soon_seconds = 0\n', encoding="utf-8"
    )
    digest = Path(sys.executable).parent / "digest"
    server = subprocess.Popen(
        [str(digest), "serve", "--port", "0"],
        cwd=folder,
        env={**os.environ, "DIGEST_SECRET": TEST_SECRET},
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, {0})) if _CPUS > 1 else None,
    )
    if _CPUS > 1:
        os.sched_setaffinity(0, set(range(1, _CPUS)))
    assert server.stdout is not None
    found = re.search(r"on http://(127\.0\.0\.1):(\d+)/ ", server.stdout.readline())
    assert found, "digest serve did not say where it listens"
    return server, found[1], int(found[2])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server, host, port = _serve(folder)
        try:
            health, health_elapsed = asyncio.run(
                _load(host, port, ["/healthz"], REFERENCE_SECONDS, method="HEAD")
            )
            reference, _ = _figures("reference (HEAD /healthz)", health, health_elapsed)
            paths = [
                f"/c/{made_token(ISSUE, 'lead', 'https://example.org/story', subscriber=n)}"
                for n in range(1, TOKENS + 1)
            ]
            latencies, elapsed = asyncio.run(_load(host, port, paths, DURATION))
            rate, p99 = _figures(f"GET /c/<token> for {DURATION:.0f} s", latencies, elapsed, reference)
            held = rate >= TARGET_PER_SECOND and p99 < TARGET_P99_MS
            verdict = "holds" if held else "does NOT hold"
            print(f"{verdict} {TARGET_PER_SECOND} redirects/s with p99 < {TARGET_P99_MS:.0f} ms")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        store = open_store(folder / "digest.db")
        totals = issue_clicks(store, ISSUE)
        store.close()
        print(f"kept after SIGTERM: {totals.human + totals.machine} of {len(latencies)} clicks")


if __name__ == "__main__":
    main()
