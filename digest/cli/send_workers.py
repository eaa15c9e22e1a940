"""`digest send ISSUE_DIR --workers N`, `--worker` (one worker process) and `--status`.

The command starts the send (or joins the one in progress, from any host with the same store),
runs N `digest send ISSUE_DIR --worker` processes and waits for them; each worker renders the
plan's issue (the copy kept when the send started, with its Date) and sends batch after batch
(digest/deliver/workers.py). `--status` reads the store only.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from digest.clock import utc_now
from digest.deliver import PreparedSend, Purpose, SendReport, check_ready, open_issue_store, prepare_issue
from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.pool import INCOMPLETE_EXIT
from digest.deliver.smtp import SmtpError
from digest.deliver.tokens import load_secret
from digest.deliver.workers import SendWorker, end_send, start_send
from digest.errors import ConfigError
from digest.pipeline import delivery_of, prepare_folder
from digest.render import load_theme
from digest.runs.archive import issue_from_json
from digest.settings import load_issue_config
from digest.store import Store, open_store
from digest.store.leases import SendLeases, WorkerState
from digest.weekly import issue_id_for
from digest.words import plural

STOPPED_EXIT = 130
WORKER_COMMAND = (sys.executable, "-m", "digest", "send")
_HOST = socket.gethostname()


def _store_of(issue_dir: Path, theme: Path | None, *, create: bool = True) -> tuple[str, Store]:
    """The issue's id and its store, from the folder's settings alone (nothing gathered)."""
    config = load_issue_config(issue_dir, theme=theme)
    return issue_id_for(config.issue.date), open_store(delivery_of(config).store, create=create)


def _planned(issue_dir: Path, theme: Path | None, store: Store, issue_id: str) -> PreparedSend:
    """The plan's issue (as the send's first process kept it), rendered and encoded once here."""
    plan = SendLeases(store, issue_id).plan()
    if plan is None:
        raise ConfigError(f"no send of {issue_id} to join: start one with `digest send ISSUE --workers N`")
    config = load_issue_config(issue_dir, theme=theme)
    delivery = delivery_of(config)
    secret = load_secret(delivery.secret_file, allow_development=False)
    issue = issue_from_json(plan.issue_json)
    return prepare_issue(issue, load_theme(config.theme_dir), delivery, secret, date=plan.date)


@dataclass(frozen=True)
class WorkerOptions:
    """What `digest send` passes on to each worker process."""

    theme: Path | None = None
    concurrency: int | None = None
    rate: float | None = None
    resend_uncertain: bool = False

    def argv(self, workers: int) -> list[str]:
        """The worker's options; [smtp] rate or --rate is the whole send's, split between `workers`."""
        args = ["--theme", str(self.theme)] if self.theme is not None else []
        if self.concurrency is not None:
            args += ["--concurrency", str(self.concurrency)]
        if self.rate:
            args += ["--rate", str(self.rate / workers)]
        return args + ["--resend-uncertain"] * self.resend_uncertain


def run_worker(issue_dir: Path, options: WorkerOptions) -> None:
    """`--worker`: one worker process; its counts as one line on stdout; exit 3 on an unusable
    server, 130 when stopped (SIGTERM, Ctrl-C), else 0."""
    issue_id, store = _store_of(issue_dir, options.theme)
    try:
        prepared = _planned(issue_dir, options.theme, store, issue_id)
        # Everything made so far (modules, the rendered issue, its pieces) lives as long as the
        # process: out of the collector's sight, its passes over each batch's garbage stay short.
        gc.collect()
        gc.freeze()
        worker = SendWorker(
            prepared,
            store,
            target=check_ready(prepared),
            concurrency=options.concurrency,
            rate=options.rate,
            resend_uncertain=options.resend_uncertain,
        )
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: worker.stop())
        report = worker.run()
    finally:
        store.close()
    counts = report.counts()
    click.echo(
        f"worker pid {os.getpid()}: {counts.sent} sent, {counts.failed} failed, {counts.uncertain} uncertain "
        f"in {plural(report.batches, 'batch', 'batches')}, {report.seconds:.2f} s"
    )
    if report.fatal is not None:
        raise report.fatal
    if report.error:
        raise SmtpError(report.error)
    if report.stopped:
        sys.exit(STOPPED_EXIT)


def coordinate(
    issue_dir: Path, workers: int, options: WorkerOptions, check: Callable[[PreparedSend], None]
) -> None:
    """`--workers N`: start or join the send, run N worker processes here, then the summary."""
    prepared = prepare_folder(issue_dir, Purpose.SEND, theme=options.theme)
    check(prepared)  # the preflight policy of `digest send`
    check_ready(prepared)
    store = open_issue_store(prepared)
    try:
        start_send(prepared, store)
        started = time.perf_counter()
        pids, codes = _run_workers(
            [*WORKER_COMMAND, str(issue_dir), "--worker", *options.argv(workers)], workers
        )
        run = SendReport(seconds=time.perf_counter() - started, stopped=any(code != 0 for code in codes))
        ours = [
            w for w in SendLeases(store, prepared.issue_id).workers() if w.pid in pids and w.host == _HOST
        ]
        run.sent = sum(w.sent for w in ours)
        result = end_send(store, prepared.issue_id, run)
        _print_totals(prepared.issue_id, result.totals, result.pending, result.uncertain, run)
    finally:
        store.close()
    if 3 in codes:
        raise SmtpError("a worker could not use the SMTP server (its error is above)")
    if STOPPED_EXIT in codes:
        sys.exit(STOPPED_EXIT)
    if result.uncertain or result.pending:
        sys.exit(INCOMPLETE_EXIT)


def _run_workers(args: list[str], workers: int) -> tuple[set[int], list[int]]:
    """N worker processes; SIGTERM and Ctrl-C are passed on; their pids and exit codes."""
    children = [subprocess.Popen(args) for _ in range(workers)]

    def pass_on(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, pass_on) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return {child.pid for child in children}, [child.wait() for child in children]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _print_totals(
    issue_id: str, totals: dict[SendState, int], pending: int, uncertain: list[str], run: SendReport
) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("issue", issue_id)
    rate = f" ({run.sent / run.seconds:.0f}/s)" if run.sent and run.seconds else ""
    table.add_row("sent", f"{run.sent} by this host's workers{rate}; {totals[SendState.SENT]} in all")
    table.add_row("failed", f"{totals[SendState.FAILED]} (5xx, recorded)")
    if uncertain:
        shown = ", ".join(uncertain[:5]) + (" …" if len(uncertain) > 5 else "")
        table.add_row("uncertain", f"{len(uncertain)}: {shown} (not resent without --resend-uncertain)")
    table.add_row("left", f"{plural(pending, 'active subscriber')} still without this issue")
    table.add_row("time", f"{run.seconds:.1f} s" + (" (a worker stopped early)" if run.stopped else ""))
    Console(soft_wrap=True, width=1000 if not sys.stdout.isatty() else None).print(table)


def show_status(issue_dir: Path, theme: Path | None) -> None:
    """`--status`: the send's workers, its rate and what is left, from the store alone."""
    issue_id, store = _store_of(issue_dir, theme, create=False)
    try:
        leases = SendLeases(store, issue_id)
        plan, workers = leases.plan(), leases.workers()
        ledger = SendLedger(store, issue_id)
        totals, pending = ledger.counts(), ledger.count_pending()
        batches = leases.batch_counts()
    finally:
        store.close()
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("issue", issue_id)
    if plan is None:
        table.add_row("workers", "none: this issue was not sent by workers")
    for worker in workers:
        seen = (utc_now() - worker.heartbeat).total_seconds()
        state = "alive" if worker.alive else ("ended" if worker.ended else "gone")
        table.add_row(
            "worker",
            f"{worker.host} pid {worker.pid}: {state}, last heartbeat {seen:.0f} s ago, "
            f"{worker.sent} sent, {worker.failed} failed, {worker.uncertain} uncertain",
        )
    table.add_row("rate", _rate(workers))
    table.add_row("batches", f"{batches['open']} open, {batches['leased']} leased, {batches['done']} done")
    table.add_row("sent", str(totals[SendState.SENT]))
    table.add_row("failed", str(totals[SendState.FAILED]))
    table.add_row("uncertain", str(totals[SendState.UNCERTAIN] + totals[SendState.IN_FLIGHT]))
    table.add_row("left", plural(pending, "active subscriber"))
    Console(soft_wrap=True, width=1000 if not sys.stdout.isatty() else None).print(table)


def _rate(workers: list[WorkerState]) -> str:
    """Messages per second of the workers alive, each over its own time so far."""
    alive = [w for w in workers if w.alive]
    per_second = sum(w.sent / max((w.heartbeat - w.started).total_seconds(), 1e-3) for w in alive)
    if not alive:
        return "0 (no worker alive)"
    return f"{per_second:,.0f} msg/s over {plural(len(alive), 'worker')} alive"
