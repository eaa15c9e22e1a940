"""DKIM at line rate: messages/s spliced and signed, ours beside dkimpy in the same run.

Real copies of the full Meridian sample issue (about 60 KB each), each personalised and then
signed (RSA-2048, relaxed/relaxed, the same headers): ours (OpenSSL through `cryptography`, the
body canonicalised in pieces), ours with the Ed25519 signature beside it, and dkimpy. Then whole
sends with DKIM on to a minimal SMTP sink (another process) with the send log, ours and dkimpy's
(today's send); then two processes signing at once, as `digest send --workers 2` would.

Each figure is messages per wall-clock second and per CPU second of this process, with the
1-minute load average beside it: on a shared machine the ratios are the figures that travel.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import dkim
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from digest.deliver.dkim_keys import ed25519_key, rsa_key
from digest.deliver.dkim_signing import SIGNED_HEADERS, DkimSigner
from digest.deliver.ledger import SendLedger
from digest.deliver.pool import SendOptions, deliver
from digest.deliver.send import Purpose
from digest.deliver.smtp_target import SmtpTarget
from digest.deliver.splice import MessageTemplate, Recipient
from digest.deliver.transports import smtp_transports
from digest.pipeline import prepare_folder
from digest.settings import SmtpSettings
from digest.store import open_store
from tests.benchmarks.bench_deliver import _fill, _run_sink, _server
from tests.conftest import SAMPLE_WEEKS

OURS_N = 3_000
DKIMPY_N = 60
SEND_N = 3_000
DKIMPY_SEND_N = 200
DOMAIN = b"meridian-media.example"


class Rate:
    """Messages per wall-clock second and per CPU second of this process, over a `with` block."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.wall = self.cpu = 0.0
        self.load = 0.0

    @contextmanager
    def timing(self) -> Iterator[Rate]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield self
        self.wall, self.cpu = time.perf_counter() - wall, time.process_time() - cpu
        self.load = os.getloadavg()[0]

    @property
    def per_second(self) -> float:
        return self.count / self.wall

    def __str__(self) -> str:
        per_cpu = self.count / self.cpu
        return f"{self.per_second:>7,.0f} msg/s  ({per_cpu:>6,.0f} per CPU second; load {self.load:.2f})"


class Dkimpy:
    """dkimpy signing as digest did before: the reference, with the same settings."""

    def __init__(self, private_pem: bytes) -> None:
        self.private_pem = private_pem

    def sign(self, message: bytes) -> bytes:
        relaxed = (b"relaxed", b"relaxed")
        signature = dkim.sign(
            message,
            b"bench",
            DOMAIN,
            self.private_pem,
            canonicalize=relaxed,
            include_headers=list(SIGNED_HEADERS),
        )
        return signature + message


def _template() -> MessageTemplate:
    environ = {"DIGEST_SECRET": "benchmark-secret-0123456789"}
    return prepare_folder(SAMPLE_WEEKS["meridian"], Purpose.SEND, environ=environ).template


def _recipients(n: int) -> list[Recipient]:
    names = ("Ana López", "", "山田 太郎", "Reader  With Spaces", "Zoë")
    return [Recipient(f"reader{i}@example.com", names[i % len(names)], i + 1) for i in range(n)]


def _keys(folder: Path) -> tuple[Path, Path]:
    rsa, ed = folder / "dkim.pem", folder / "dkim-ed25519.pem"
    for command in (
        ["genrsa", "-traditional", "-out", rsa, "2048"],
        ["genpkey", "-algorithm", "ed25519", "-out", ed],
    ):
        subprocess.run(["openssl", *command], check=True, capture_output=True)
    return rsa, ed


def _dns(signer: DkimSigner) -> Callable[..., bytes]:
    """The TXT records that publish the signer's public keys."""
    records = {}
    for selector, key in signer.keys:
        public = key.public_key()
        if isinstance(public, Ed25519PublicKey):
            kind, data = b"ed25519", public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        else:
            kind, data = b"rsa", public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        records[selector + b"._domainkey." + DOMAIN + b"."] = (
            b"v=DKIM1; k=" + kind + b"; p=" + base64.b64encode(data)
        )
    return lambda name, timeout=5: records.get(name, b"")


def _verified(signer: DkimSigner, template: MessageTemplate, people: list[Recipient]) -> None:
    """What is measured is right: a few copies, every signature checked by dkimpy."""
    dns = _dns(signer)
    for recipient in people[:5]:
        signed = signer.sign(template.personalise(recipient))
        assert all(dkim.DKIM(signed).verify(idx=i, dnsfunc=dns) for i in range(len(signer.keys)))


def _signing(sign: Callable[[bytes], bytes], template: MessageTemplate, people: list[Recipient]) -> Rate:
    rate = Rate(len(people))
    with rate.timing():
        for recipient in people:
            sign(template.personalise(recipient))
    return rate


def _send(signer: DkimSigner | Dkimpy, template: MessageTemplate, port: int, n: int) -> Rate:
    """A whole send with the send log, 4 connections, every copy signed by `signer`."""
    target = SmtpTarget(settings=SmtpSettings(security="none"), host="127.0.0.1", port=port)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        _fill(store, n, Path(tmp))
        ledger = SendLedger(store, "bench")
        rate = Rate(n)
        with rate.timing():
            report = deliver(
                template,
                ledger.pending(),
                ledger=ledger,
                sender="daily@meridian-media.example",
                transports=smtp_transports(target),
                options=SendOptions(concurrency=4, retries=0),
                signer=signer,  # type: ignore[arg-type]  # dkimpy's stand-in has the same sign()
            )
        store.close()
    assert report.sent == n, report
    return rate


def _worker(rsa: Path, n: int, results) -> None:
    template = _template()
    signer = DkimSigner(DOMAIN, ((b"bench", rsa_key(rsa)),)).for_template(template)
    results.put(_signing(signer.sign, template, _recipients(n)).per_second)


def _two_workers(rsa: Path) -> float:
    """Two processes splicing and signing at once: their messages/s added up."""
    results: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_worker, args=(rsa, OURS_N, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    total = sum(results.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total


def main() -> None:
    template = _template()
    people = _recipients(OURS_N)
    with tempfile.TemporaryDirectory() as tmp:
        rsa, ed = _keys(Path(tmp))
        ours = DkimSigner(DOMAIN, ((b"bench", rsa_key(rsa)),)).for_template(template)
        dual = replace(ours, keys=((b"bench", rsa_key(rsa)), (b"benched", ed25519_key(ed))))
        dkimpy = Dkimpy(rsa.read_bytes())
        _verified(dual, template, people)
        size = len(template.personalise(people[0])) / 1024
        print(f"  copies of the full Meridian issue ({size:.0f} KB); RSA-2048, relaxed/relaxed")
        print(f"  splice alone, no DKIM         {_signing(lambda m: m, template, people)}")
        fast = _signing(ours.sign, template, people)
        print(f"  ours: splice + RSA            {fast}")
        print(f"  ours: splice + RSA + Ed25519  {_signing(dual.sign, template, people)}")
        slow = _signing(dkimpy.sign, template, people[:DKIMPY_N])
        print(f"  dkimpy: splice + RSA          {slow}")
        cpu_ratio = (slow.cpu / slow.count) / (fast.cpu / fast.count)
        print(f"  ours / dkimpy: {fast.per_second / slow.per_second:.0f}x ({cpu_ratio:.0f}x in CPU)")
        sink, port = _server(_run_sink)
        try:
            sent = _send(ours, template, port, SEND_N)
            print(f"  a send with DKIM on, ours     {sent}")
            today = _send(dkimpy, template, port, DKIMPY_SEND_N)
            print(f"  a send with DKIM on, dkimpy   {today}")
            print(f"  ours / dkimpy, whole send: {sent.per_second / today.per_second:.0f}x")
        finally:
            sink.kill()
        two = _two_workers(rsa)
        load = os.getloadavg()[0]
        print(f"  ours, 2 processes at once     {two:>7,.0f} msg/s  (load {load:.2f}; target 1,500)")


if __name__ == "__main__":
    main()
