"""POST /subscribe under load: sign-ups a second, p50/p99 latency, for DURATION seconds.

`digest serve` runs as its own process on 127.0.0.1 with [signup] on, its mail server down for the
whole run: every confirmation email stays queued in the outbox, which shows the request never waits
on SMTP (and, counted afterwards, that no sign-up was lost). WORKERS clients post distinct
addresses back to back, a fresh connection each (with keep-alive, httpx waits out the server's
delayed ACK: +40 ms no browser sees; see bench_preview). Reference: GET /healthz of the same
server, measured the same way in the same run ("3x reference": a sign-up costs three health checks).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from digest.store import open_store
from tests.benchmarks.bench_preview import NO_KEEPALIVE
from tests.smtp_server import free_port
from tests.web.signup_site import TOKEN, serve_process, write_project

DURATION = 30.0
REFERENCE_SECONDS = 5.0
WORKERS = 8
TARGET_PER_SECOND = 300


def _load(request, seconds: float) -> tuple[list[float], int, float]:
    """Run `request(client, n)` from WORKERS threads for `seconds`: latencies, failures, elapsed."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + seconds

    def work() -> None:
        nonlocal failures
        mine: list[float] = []
        bad = 0
        with httpx.Client(timeout=10, limits=NO_KEEPALIVE) as client:
            while time.perf_counter() < stop_at:
                with lock:
                    n = next(counter)
                started = time.perf_counter()
                ok = request(client, n)
                mine.append(time.perf_counter() - started)
                bad += not ok
        with lock:
            latencies.extend(mine)
            failures += bad

    began = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - began


def _figures(name: str, latencies: list[float], elapsed: float, reference: float | None = None) -> float:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1e3
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1e3
    ratio = f"  p50 {p50 / reference:.1f}x reference" if reference else ""
    print(f"{name}: {len(ordered) / elapsed:.0f}/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms{ratio}")
    return p50


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_project(folder, min_fill_seconds=0, per_ip_per_hour=10**9, per_address_per_hour=10**9)
        server, base = serve_process(folder, free_port())  # nobody listens there: the mail server is down
        try:
            token = TOKEN.search(httpx.get(base + "subscribe").text)
            assert token
            health, _, health_elapsed = _load(
                lambda client, _n: client.get(base + "healthz").status_code == 200, REFERENCE_SECONDS
            )
            reference = _figures("reference (GET /healthz)", health, health_elapsed)

            def sign_up(client: httpx.Client, n: int) -> bool:
                data = {"email": f"reader{n}@example.com", "form_token": token[1], "website": ""}
                return client.post(base + "subscribe", data=data).status_code == 200

            latencies, failures, elapsed = _load(sign_up, DURATION)
            _figures(f"POST /subscribe for {DURATION:.0f} s", latencies, elapsed, reference)
            rate = len(latencies) / elapsed
            verdict = "holds" if rate >= TARGET_PER_SECOND and not failures else "does NOT hold"
            print(f"{verdict} {TARGET_PER_SECOND} sign-ups/s ({failures} failed)")
        finally:
            server.terminate()
            server.wait(timeout=10)
        store = open_store(folder / "digest.db")
        pending = store.fetchvalue("SELECT COUNT(*) FROM pending_signups")
        queued = store.fetchvalue("SELECT COUNT(*) FROM signup_outbox")
        store.close()
        print(
            f"kept: {pending} pending sign-ups, {queued} confirmations queued, of {len(latencies)} sign-ups"
        )


if __name__ == "__main__":
    main()
