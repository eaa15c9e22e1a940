"""`digest send ISSUE_DIR [--dry-run] [--test-to ADDR ...] [--limit N] [--rate N] [--concurrency N]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from digest.cli.lint import print_findings
from digest.deliver import (
    SECRET_ENV,
    IssueSendReport,
    Outcome,
    PreparedSend,
    Purpose,
    Recipient,
    SendReport,
    SmtpError,
    check_ready,
    count_to_send,
    open_issue_store,
    parse_recipients,
    send_issue,
    send_proofs,
    write_dry_run,
)
from digest.errors import INCOMPLETE_EXIT
from digest.feedback.figures import IssueFigures, issue_figures
from digest.pipeline import preflight, prepare_folder
from digest.words import plural


@click.command("send")
@click.argument("issue_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Write the messages as .eml files instead of sending.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for --dry-run's .eml files [default: out/send-ISSUE_ID].",
)
@click.option(
    "--test-to",
    "test_to",
    multiple=True,
    metavar="ADDR",
    help="Send a [PROOF] to this address instead (repeatable); the send log is not touched.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most N messages this run.")
@click.option("--rate", type=click.FloatRange(min=0), default=None, help="Messages per second [smtp.rate].")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=None,
    help="SMTP connections in parallel [smtp.concurrency].",
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="Also send to recipients whose earlier transaction was cut off after DATA (may duplicate).",
)
@click.option(
    "--theme",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="A theme folder whose files override the default theme's, file by file.",
)
@click.option("--force", is_flag=True, help="Send even though preflight (digest lint) found errors.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Send with N worker processes here; run on other hosts too (same store), it joins the send.",
)
@click.option(
    "--worker", "mode", flag_value="worker", hidden=True, help="One worker process of a --workers send."
)
@click.option("--status", "mode", flag_value="status", help="Show the send's workers, rate and what is left.")
def send_command(
    issue_dir: Path,
    dry_run: bool,
    out: Path | None,
    test_to: tuple[str, ...],
    limit: int | None,
    rate: float | None,
    concurrency: int | None,
    resend_uncertain: bool,
    theme: Path | None,
    force: bool,
    workers: int | None,
    mode: str | None,
) -> None:
    """Send ISSUE_DIR to every active subscriber who has not had it: exactly once."""
    if mode or workers:
        return _send_with_workers(issue_dir, workers, mode, force, theme, concurrency, rate, resend_uncertain)
    console = Console(stderr=True, soft_wrap=True)
    if test_to:
        _proofs(issue_dir, list(test_to), theme=theme, dry_run=dry_run, out=out, console=console)
        return
    prepared = prepare_folder(issue_dir, Purpose.DRY_RUN if dry_run else Purpose.SEND, theme=theme)
    _preflight(prepared, force=force or dry_run)
    store = open_issue_store(prepared)
    try:
        if dry_run:
            _warn_development_secret(console, prepared.secret.is_development)
            report, folder = write_dry_run(
                prepared, store, _out(out, prepared.issue_id), limit=limit, resend_uncertain=resend_uncertain
            )
            _print_dry_run(report, folder)
            return
        target = check_ready(prepared)
        total = min(count_to_send(prepared, store, resend_uncertain=resend_uncertain), limit or sys.maxsize)
        with _progress(console) as progress:
            task = progress.add_task(prepared.issue_id, total=total)

            def advance(recipient: Recipient, outcome: Outcome, detail: str) -> None:
                progress.advance(task)
                if outcome in (Outcome.FAILED, Outcome.UNCERTAIN):
                    progress.console.print(f"{outcome}: {recipient.email}: {detail}", markup=False)

            result = send_issue(
                prepared,
                store,
                target=target,
                limit=limit,
                rate=rate,
                concurrency=concurrency,
                resend_uncertain=resend_uncertain,
                on_outcome=advance,
            )
        if result.run.attempted or not result.run.error:
            _print_issue_summary(prepared.issue_id, result, issue_figures(store, prepared.issue_id))
        _finish(result.run)
        if result.uncertain:  # not done until someone decides about them (`digest run` says 5 too)
            sys.exit(INCOMPLETE_EXIT)
    finally:
        store.close()


def _send_with_workers(
    issue_dir: Path,
    workers: int | None,
    mode: str | None,
    force: bool,
    theme: Path | None,
    concurrency: int | None,
    rate: float | None,
    resend_uncertain: bool,
) -> None:
    """--status, --worker and --workers N (digest/cli/send_workers.py, loaded only for them)."""
    from digest.cli import send_workers

    options = send_workers.WorkerOptions(theme, concurrency, rate, resend_uncertain)
    if mode == "status":
        send_workers.show_status(issue_dir, theme)
    elif mode == "worker":
        send_workers.run_worker(issue_dir, options)
    else:
        assert workers is not None
        send_workers.coordinate(
            issue_dir, workers, options, lambda prepared: _preflight(prepared, force=force)
        )


PREFLIGHT_FAILED = 1  # as `digest lint` and `digest build` say it


def _preflight(prepared: PreparedSend, *, force: bool) -> None:
    """The one preflight policy (as build, run and the preview apply it): lint errors stop a send
    unless --force; a dry run only says so."""
    verdict = preflight(prepared.plain(), source=prepared.issue_id)
    if verdict.passed:
        return
    if not force:
        print_findings(verdict.report, limit=10)
        advice = "fix it (digest lint shows all) or send with --force"
        click.echo(f"error: {verdict.verdict()}; {advice}", err=True)
        sys.exit(PREFLIGHT_FAILED)
    click.echo(f"warning: {verdict.verdict()}; sending anyway (--force)", err=True)


def _proofs(
    issue_dir: Path,
    addresses: list[str],
    *,
    theme: Path | None,
    dry_run: bool,
    out: Path | None,
    console: Console,
) -> None:
    """--test-to: [PROOF] copies to these addresses (or, with --dry-run, their .eml files)."""
    parse_recipients(addresses)  # a typo stops us before anything is rendered
    prepared = prepare_folder(issue_dir, Purpose.PROOF, theme=theme)
    _warn_development_secret(console, prepared.secret.is_development)
    if dry_run:
        report, folder = write_dry_run(
            prepared, None, _out(out, prepared.issue_id), recipients=parse_recipients(addresses)
        )
        _print_dry_run(report, folder)
        return
    report = send_proofs(prepared, addresses)
    _print_run(report, label="proofs")
    _finish(report)


def _out(out: Path | None, issue_id: str) -> Path:
    return out or Path("out") / f"send-{issue_id}"


def _warn_development_secret(console: Console, is_development: bool) -> None:
    if is_development:
        console.print(
            f"note: no {SECRET_ENV} or [newsletter] secret_file: unsubscribe links are signed with the "
            "development secret (fine for a dry run or a proof; a real send refuses it)",
            markup=False,
        )


class RateColumn(ProgressColumn):
    """Messages per second, as the progress bar measures it."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "…/s", style="progress.data.speed")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,  # for a person watching; a log gets the summary
    )


def _print_dry_run(report: SendReport, folder: Path) -> None:
    click.echo(f"wrote {report.sent} message(s) to {folder}")
    if report.sent == 0:
        click.echo("nobody to send to: add subscribers with `digest subscribers add` or `import`")


# The summaries go to stdout (a script may keep them); progress and notes go to stderr.


def _summary_console() -> Console:
    """Stdout; into a file or a pipe, a row stays one line however long (a server's reply)."""
    console = Console(soft_wrap=True)
    if not console.is_terminal:
        console.width = 1000
    return console


def _print_run(report: SendReport, *, label: str) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row(label, f"{report.sent} sent")
    for address, reply in report.failed + report.deferred:
        table.add_row("failed", f"{address}: {reply}")
    table.add_row("time", f"{report.seconds:.1f} s")
    _summary_console().print(table)


def _print_issue_summary(issue_id: str, result: IssueSendReport, figures: IssueFigures) -> None:
    run = result.run
    skipped = sum(result.already.values())
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("issue", issue_id)
    table.add_row("sent", f"{run.sent}" + (f" ({run.rate:.0f}/s)" if run.sent else ""))
    table.add_row("skipped", f"{skipped} already in the send log")
    table.add_row("failed", f"{len(run.failed)} (5xx, recorded)")
    if run.deferred:
        table.add_row(
            "deferred",
            f"{len(run.deferred)} (temporary failures; the next run retries them): {run.deferred_reason()}",
        )
    if result.uncertain:
        shown = ", ".join(result.uncertain[:5]) + (" …" if len(result.uncertain) > 5 else "")
        table.add_row(
            "uncertain", f"{len(result.uncertain)}: {shown} (not resent without --resend-uncertain)"
        )
    if run.bounced:
        table.add_row("bounced", str(len(run.bounced)))
    table.add_row("left", f"{plural(result.pending, 'active subscriber')} still without this issue")
    table.add_row("time", f"{run.seconds:.1f} s" + (" (stopped early)" if run.stopped else ""))
    # What came back so far (`digest feedback fetch` reads more; `digest feedback report` shows it).
    table.add_row("figures", figures.line())
    _summary_console().print(table)


def _finish(report: SendReport) -> None:
    """The exit code: 3 the server could not be used (or refused everyone alike), 130 stopped by
    Ctrl-C, 5 some messages deferred (the next run retries them), else 0; a store failure (a full
    disk) as the store raised it, with its own code."""
    if report.fatal is not None:
        raise report.fatal  # as it was raised: the server's SmtpError, or the store's (a full disk)
    if report.error:
        raise SmtpError(report.error)
    if report.stopped:
        sys.exit(130)
    if report.deferred:
        sys.exit(INCOMPLETE_EXIT)
