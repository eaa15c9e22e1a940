"""`digest send` as a library: prepare an issue once, then send it, proof it or write it out.

For other features:
- `prepare_issue(issue, theme, delivery, secret)` → `PreparedSend`: the issue rendered and encoded
  once (digest.pipeline.prepare_folder does it from an issue folder).
- `send_issue(prepared, store, ...)`: to every active subscriber, exactly once (the scheduler).
- `send_proofs(prepared, addresses)`: `[PROOF]` copies through the configured SMTP (the preview).
- `write_dry_run(prepared, store, folder)`: the messages a send would make, as .eml files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from digest.clock import utc_now
from digest.deliver.dkim_signing import DkimSigner, load_signer
from digest.deliver.ledger import NoLedger, SendLedger, SendState
from digest.deliver.message import feedback_id
from digest.deliver.pool import Outcome, SendOptions, SendReport, deliver
from digest.deliver.renders import ClickLinks, DeliveryRenders, link_values, render_for_delivery
from digest.deliver.return_path import return_path_address
from digest.deliver.smtp_target import SmtpTarget, resolve_target
from digest.deliver.snapshot import keep_sent_copy
from digest.deliver.splice import MessageTemplate, Recipient, build_template
from digest.deliver.throttle import SendThrottle
from digest.deliver.tokens import SigningSecret
from digest.deliver.transports import EmlFolder, smtp_transports
from digest.errors import ConfigError, DigestError
from digest.model import Issue, RenderedIssue, SubscriberStatus
from digest.render import Theme
from digest.settings import DeliverySettings
from digest.store import Store, open_store
from digest.store.leases import SendLeases
from digest.store.run_history import HeldLock, IssueHistory, IssueLocked, IssueState, issue_lock
from digest.store.subscribers import clean_name, parse_address, set_status
from digest.urls import canonical_url
from digest.words import plural

PROOF_PREFIX = "[PROOF] "


class Purpose(StrEnum):
    SEND = "send"
    PROOF = "proof"
    DRY_RUN = "dry-run"


class SendError(DigestError):
    """Something about this send the user must fix (e.g. a bad --test-to address)."""


@dataclass(frozen=True)
class PreparedSend:
    """One issue, rendered and encoded once, with what sending it needs."""

    issue: Issue
    template: MessageTemplate
    delivery: DeliverySettings
    secret: SigningSecret
    clicks: ClickLinks | None = None
    """With [tracking] clicks or opens on: the counted links (a dry run's copies count nothing)."""

    @property
    def issue_id(self) -> str:
        return self.issue.issue_id

    @cached_property  # asked for every copy's MAIL FROM: parsed once
    def sender(self) -> str:
        return parseaddr(self.issue.newsletter.from_address)[1]

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]

    def envelope_sender(self, recipient: Recipient) -> str:
        """A real send's MAIL FROM: the [feedback] return path tagged for this copy, else `sender`."""
        if not self.delivery.return_path:
            return self.sender
        return return_path_address(
            self.delivery.return_path, self.secret.value, self.issue_id, recipient.subscriber_id
        )

    def plain(self) -> RenderedIssue:
        """The copy without a recipient (the web archive's links): what preflight checks."""
        template = self.template
        tracked = self.clicks.links if self.clicks is not None else ()
        return DeliveryRenders(template.rendered_named, template.rendered, template.markers, tracked).plain()

    @cached_property
    def signer(self) -> DkimSigner | None:
        delivery = self.delivery
        if delivery.dkim is None or delivery.dkim_key_file is None:
            return None
        return load_signer(delivery, self.issue.newsletter.from_address, self.template)


def prepare_issue(
    issue: Issue,
    theme: Theme,
    delivery: DeliverySettings,
    secret: SigningSecret,
    *,
    subject_prefix: str = "",
    date: dt.datetime | None = None,
    renders: DeliveryRenders | None = None,
) -> PreparedSend:
    """Encode the issue's two renders once (rendering them unless given)."""
    renders = renders or render_for_delivery(issue, theme, delivery.tracking)
    clicks = renders.click_links()
    template = build_template(
        renders.named,
        renders.anonymous,
        renders.markers,
        link_values(issue, secret.value, clicks),
        unsubscribe_mailto=delivery.unsubscribe_mailto,
        date=date,
        subject_prefix=subject_prefix,
        stable_ids=not subject_prefix,
        feedback=feedback_id(renders.anonymous, proof=bool(subject_prefix)),
    )
    return PreparedSend(issue=issue, template=template, delivery=delivery, secret=secret, clicks=clicks)


def load_dkim(prepared: PreparedSend) -> DkimSigner | None:
    """The issue's DKIM signer: the key is read (and tried) once per prepared issue, whether a
    command checks readiness first and then sends, or only sends."""
    return prepared.signer


@dataclass
class IssueSendReport:
    """A run of `send_issue`: this run's outcomes and the send log's totals after it."""

    run: SendReport
    already: dict[SendState, int] = field(default_factory=dict)
    """The log before this run: subscribers skipped because they have the issue (or tried)."""
    uncertain: list[str] = field(default_factory=list)
    """Every address of this issue whose copy may or may not have arrived (this run or earlier)."""
    pending: int = 0
    """Active subscribers still without the issue after this run."""
    totals: dict[SendState, int] = field(default_factory=dict)
    """The log after this run, every run of the issue together."""

    @property
    def complete(self) -> bool:
        """Every active subscriber has a final answer: nobody pending, nobody uncertain."""
        return not self.pending and not self.uncertain and not self.run.stopped


def send_issue(
    prepared: PreparedSend,
    store: Store,
    *,
    lock: HeldLock | None = None,
    target: SmtpTarget | None = None,
    limit: int | None = None,
    rate: float | None = None,
    concurrency: int | None = None,
    resend_uncertain: bool = False,
    on_outcome: Callable[[Recipient, Outcome, str], None] | None = None,
    stop: threading.Event | None = None,
    environ: dict[str, str] | None = None,
) -> IssueSendReport:
    """Send the issue to every active subscriber who does not have it yet: exactly once.

    The whole send holds the issue's run lock, so no other process sends the issue meanwhile:
    `lock` when the caller holds it already (`digest run`, `approve`), else it is taken here
    (IssueLocked, exit 4, names the process that holds it)."""
    _refuse_development_secret(prepared)
    target = target or resolve_target(prepared.delivery.smtp, environ)
    signer = load_dkim(prepared)
    with contextlib.ExitStack() as stack:
        if lock is None:
            lock = stack.enter_context(issue_lock(store, prepared.issue_id))
        refuse_beside_workers(store, prepared.issue_id)
        ledger = SendLedger(store, prepared.issue_id, resend_uncertain=resend_uncertain)
        remember_stories(prepared, store)
        ledger.settle_interrupted(lock)
        already = going_out(prepared, ledger)
        bounced: list[str] = []
        options = SendOptions.for_smtp(
            prepared.delivery.smtp,
            rate=rate,
            concurrency=concurrency,
            on_outcome=on_outcome,
            on_bounce=bouncer(store, bounced),
            refusal_window=prepared.delivery.smtp.refusal_window,
            short_runs_trip=not already[SendState.SENT],  # else the server took the issue before
        )
        run = deliver(
            prepared.template,
            ledger.pending(limit=limit),
            ledger=ledger,
            sender=prepared.envelope_sender,
            transports=smtp_transports(target),
            options=options,
            signer=signer,
            stop=stop,
            throttle=send_throttle(prepared, store, target),
        )
        run.bounced = sorted(bounced)
        report = IssueSendReport(
            run=run,
            already=already,
            uncertain=ledger.uncertain(),
            pending=ledger.count_pending(),
            totals=ledger.counts(),
        )
        return settled(store, prepared.issue_id, report)


def refuse_beside_workers(store: Store, issue_id: str) -> None:
    """A send by one process settles every row in flight: not while workers have some of theirs."""
    live = SendLeases(store, issue_id).live_workers()
    if live:
        where = ", ".join(sorted({f"{worker.host} pid {worker.pid}" for worker in live}))
        raise IssueLocked(f"{issue_id} is being sent by workers ({where}): join them with --workers")


def send_throttle(prepared: PreparedSend, store: Store, target: SmtpTarget) -> SendThrottle:
    """[throttle], and the back-offs of the domains that asked to slow down, shared through the store."""
    throttle = prepared.delivery.throttle
    return SendThrottle(store, throttle, relay=target.where, sending_domain=prepared.sender_domain)


def remember_stories(prepared: PreparedSend, store: Store) -> None:
    """What the issue carries, by canonical URL: the next issues leave these stories out (never twice)."""
    urls = (canonical_url(story.url) for story in prepared.issue.stories)
    IssueHistory(store).remember_stories(prepared.issue_id, urls)


def going_out(prepared: PreparedSend, ledger: SendLedger) -> dict[SendState, int]:
    """The send log before this run; before anyone has the issue, the copy that goes out is kept."""
    already = ledger.counts()
    if not (already[SendState.SENT] or already[SendState.UNCERTAIN]):
        _keep_sent_copy(prepared)
    return already


def settled(store: Store, issue_id: str, report: IssueSendReport) -> IssueSendReport:
    """Every active subscriber has a final answer: the run history says sent, whichever command
    sent it (`digest send` as much as `digest run`, which then writes its own line over it), so a
    later run does not build the week again over the copy that went out."""
    history = IssueHistory(store)
    record = history.get(issue_id)
    if report.complete and (record is None or record.state is not IssueState.SENT):
        sent = plural(report.totals.get(SendState.SENT, 0), "subscriber")
        history.record(issue_id, IssueState.SENT, f"sent to {sent}", sent_at=utc_now())
    return report


def _keep_sent_copy(prepared: PreparedSend) -> None:
    """Before anyone has the issue: the copy that goes out, without a recipient, kept under the
    issue's id for the web archive. Once someone has it, it is what they got and stays."""
    archive_dir = prepared.delivery.archive_dir
    if archive_dir is None:
        return
    try:
        keep_sent_copy(prepared.plain(), archive_dir)
    except OSError as e:
        raise SendError(f"cannot keep the copy that goes out in {archive_dir}: {e.strerror or e}") from None


def bouncer(store: Store, bounced: list[str]) -> Callable[[Recipient, str], None]:
    """Marks a subscriber whose address the server refused (5.1.x) bounced; notes the address."""

    def bounce(recipient: Recipient, reply: str) -> None:
        set_status(store, recipient.subscriber_id, SubscriberStatus.BOUNCED, reason=reply)
        bounced.append(recipient.email)

    return bounce


def check_ready(prepared: PreparedSend, environ: dict[str, str] | None = None) -> SmtpTarget:
    """Everything a real send needs, checked before the first message: a real secret, an SMTP
    host (and password when a username is set), a usable DKIM key."""
    _refuse_development_secret(prepared)
    target = resolve_target(prepared.delivery.smtp, environ)
    load_dkim(prepared)
    return target


def _refuse_development_secret(prepared: PreparedSend) -> None:
    if prepared.secret.is_development:
        raise ConfigError(
            "refusing to send with the development signing secret: set DIGEST_SECRET "
            "or [newsletter] secret_file"
        )


def count_to_send(prepared: PreparedSend, store: Store, *, resend_uncertain: bool = False) -> int:
    return SendLedger(store, prepared.issue_id, resend_uncertain=resend_uncertain).count_pending()


def parse_recipients(addresses: list[str]) -> list[Recipient]:
    """--test-to values: 'ana@example.com' or 'Ana <ana@example.com>'."""
    recipients = []
    for raw in addresses:
        if "\r" in raw or "\n" in raw:
            raise SendError(f"--test-to {raw!r}: must be on one line")
        name, address = parseaddr(raw)
        try:
            recipients.append(Recipient(email=parse_address(address or raw), name=clean_name(name)))
        except ValueError as e:
            raise SendError(f"--test-to {raw!r}: {e}") from None
    return recipients


def send_proofs(
    prepared: PreparedSend,
    addresses: list[str],
    *,
    target: SmtpTarget | None = None,
    environ: dict[str, str] | None = None,
) -> SendReport:
    """`[PROOF]` copies (prepare with Purpose.PROOF) to editors; the send log is not touched."""
    recipients = parse_recipients(addresses)
    target = target or resolve_target(prepared.delivery.smtp, environ)
    return deliver(
        prepared.template,
        recipients,
        ledger=NoLedger(),
        sender=prepared.sender,
        transports=smtp_transports(target),
        options=SendOptions.for_smtp(prepared.delivery.smtp, concurrency=min(len(recipients), 4) or 1),
        signer=load_dkim(prepared),
    )


def write_dry_run(
    prepared: PreparedSend,
    store: Store | None,
    out: Path,
    *,
    limit: int | None = None,
    resend_uncertain: bool = False,
    recipients: list[Recipient] | None = None,
) -> tuple[SendReport, Path]:
    """Write the messages a send would make now (or to `recipients`) as .eml files in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    if recipients is None:
        if store is None:
            raise ValueError("write_dry_run needs a store or a list of recipients")
        ledger = SendLedger(store, prepared.issue_id, resend_uncertain=resend_uncertain)
        recipients_iter = ledger.pending(limit=limit)
    else:
        recipients_iter = iter(recipients[:limit] if limit is not None else recipients)
    numbers = itertools.count(1)
    lock = threading.Lock()

    def next_number() -> int:
        with lock:
            return next(numbers)

    template = prepared.template
    if prepared.clicks is not None:  # the links of a dry run's copies work and count nothing
        uncounted = replace(prepared.clicks, counting=False)
        template = replace(template, values=link_values(prepared.issue, prepared.secret.value, uncounted))
    report = deliver(
        template,
        recipients_iter,
        ledger=NoLedger(),
        sender=prepared.sender,
        transports=lambda: EmlFolder(out, next_number),
        options=SendOptions(concurrency=1, retries=0),
        signer=load_dkim(prepared),
    )
    return report, out


def open_issue_store(prepared: PreparedSend) -> Store:
    return open_store(prepared.delivery.store)
