"""DKIM at line rate: messages/s spliced and signed, ours beside dkimpy in the same run.

Real copies of the full Meridian sample issue (about 60 KB each), each personalised and then
signed (RSA-2048, relaxed/relaxed, the same headers): ours (OpenSSL through `cryptography`, the
body canonicalised in pieces), ours with the Ed25519 signature beside it, and dkimpy. One core,
then two worker processes (as `digest send` runs them). The 1-minute load average is printed
beside each figure: on a shared machine the ratio is the figure that travels.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import tempfile
import time
from pathlib import Path

import dkim

from digest.deliver.dkim_keys import ed25519_key, rsa_key
from digest.deliver.dkim_signing import SIGNED_HEADERS, DkimSigner
from digest.deliver.send import Purpose
from digest.deliver.splice import MessageTemplate, Recipient
from digest.pipeline import prepare_folder
from tests.conftest import SAMPLE_WEEKS

OURS_N = 3_000
DKIMPY_N = 60
DOMAIN = b"meridian-media.example"


def _load() -> str:
    return f"(load {os.getloadavg()[0]:.2f})"


def _template() -> MessageTemplate:
    environ = {"DIGEST_SECRET": "benchmark-secret-0123456789"}
    return prepare_folder(SAMPLE_WEEKS["meridian"], Purpose.SEND, environ=environ).template


def _recipients(n: int) -> list[Recipient]:
    names = ("Ana López", "", "山田 太郎", "Reader  With Spaces", "Zoë")
    return [Recipient(f"reader{i}@example.com", names[i % len(names)], i + 1) for i in range(n)]


def _keys(folder: Path) -> tuple[Path, Path]:
    rsa, ed = folder / "dkim.pem", folder / "dkim-ed25519.pem"
    for args in (
        ["genrsa", "-traditional", "-out", str(rsa), "2048"],
        ["genpkey", "-algorithm", "ed25519", "-out", str(ed)],
    ):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    return rsa, ed


def _rate(sign, template: MessageTemplate, people: list[Recipient]) -> float:
    started = time.perf_counter()
    for recipient in people:
        sign(template.personalise(recipient))
    return len(people) / (time.perf_counter() - started)


def _worker(rsa: Path, n: int, results) -> None:
    template = _template()
    signer = DkimSigner(DOMAIN, ((b"bench", rsa_key(rsa)),)).for_template(template)
    people = _recipients(n)
    results.put((time.perf_counter(), _rate(signer.sign, template, people), time.perf_counter()))


def bench_two_workers(rsa: Path) -> float:
    """Two processes splicing and signing at once: the aggregate messages/s over the wall time."""
    results: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_worker, args=(rsa, OURS_N, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    spans = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(rate for _, rate, _ in spans)


def main() -> None:
    template = _template()
    people = _recipients(OURS_N)
    with tempfile.TemporaryDirectory() as tmp:
        rsa, ed = _keys(Path(tmp))
        private = rsa.read_bytes()
        ours = DkimSigner(DOMAIN, ((b"bench", rsa_key(rsa)),)).for_template(template)
        dual = DkimSigner(DOMAIN, ((b"bench", rsa_key(rsa)), (b"benched", ed25519_key(ed)))).for_template(
            template
        )
        size = len(template.personalise(people[0])) / 1024
        print(f"  a copy of the full Meridian issue: {size:.0f} KB; RSA-2048, relaxed/relaxed")
        spliced = _rate(lambda message: message, template, people)
        print(f"  splice alone (no DKIM)            {spliced:>8,.0f} msg/s  {_load()}")
        fast = _rate(ours.sign, template, people)
        print(f"  ours: splice + RSA signature      {fast:>8,.0f} msg/s  {_load()}")
        both = _rate(dual.sign, template, people)
        print(f"  ours: splice + RSA + Ed25519      {both:>8,.0f} msg/s  {_load()}")

        def dkimpy(message: bytes) -> bytes:
            canonicalize = (b"relaxed", b"relaxed")
            headers = list(SIGNED_HEADERS)
            return dkim.sign(
                message, b"bench", DOMAIN, private, canonicalize=canonicalize, include_headers=headers
            )

        slow = _rate(dkimpy, template, people[:DKIMPY_N])
        print(f"  dkimpy: splice + RSA signature    {slow:>8,.0f} msg/s  {_load()}")
        print(f"  ours / dkimpy: {fast / slow:.0f}x (RSA), {both / slow:.0f}x (RSA + Ed25519)")
        two = bench_two_workers(rsa)
        print(f"  ours, 2 worker processes          {two:>8,.0f} msg/s  {_load()}  (target 1,500)")


if __name__ == "__main__":
    main()
