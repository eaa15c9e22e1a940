"""The sign-up's emails (the confirmation, the welcome) and the thread of `digest serve` that sends
them from the outbox (digest/store/signups.py), so a sign-up never waits on the mail server.

Each email is the theme's signup_confirm / signup_welcome pair (HTML in the theme's look and a
plain-text part), with no tracking: no pixel, no tagged links. It is rendered once per process
with placeholders, which each message replaces with its own link: MJML is not run per sign-up.
The outbox is drained at start (a sign-up whose process was killed before its email went out gets
it then), whenever a sign-up wakes the thread, and every POLL_SECONDS; an email the server
defers is tried again later, and dropped after GIVE_UP_AFTER attempts.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from digest.clock import utc_now
from digest.deliver import (
    MESSAGE_POLICY,
    NoLedger,
    Outcome,
    Recipient,
    SendOptions,
    deliver,
    from_header,
    header_text,
    make_token,
    resolve_target,
    sender_domain,
    smtp_transports,
)
from digest.model import Newsletter
from digest.render import load_theme, longdate, render_notice
from digest.settings import DeliverySettings
from digest.store import IssueHistory, Store, find_subscriber
from digest.store.signups import (
    CONFIRM,
    OutboxItem,
    due_emails,
    due_now,
    hold,
    mark_sent,
    pending_signup,
    postpone,
    purge_expired,
)
from digest.web.site.signup_tokens import confirm_token

log = logging.getLogger("digest.web.site.signup")
POLL_SECONDS = 30.0
RETRY_AFTER = dt.timedelta(minutes=5)
GIVE_UP_AFTER = 12
PURGE_EVERY = 3600.0
"""Seconds between two sweeps of the sign-ups whose links expired."""
_LINK = "SIGNUPLINKPLACEHOLDER"
_EXPIRES = "SIGNUPEXPIRESPLACEHOLDER"
_LATEST = "SIGNUPLATESTPLACEHOLDER"


def latest_issue_url(store: Store, base_url: str) -> str:
    """The web archive's page of the newest issue that went out ("" before the first)."""
    sent = IssueHistory(store).went_out()
    return f"{base_url}/issues/{sent[0]}/" if sent else ""


@dataclass
class SignupEmails:
    """Builds the sign-up's messages in the newsletter's theme."""

    newsletter: Newsletter
    secret: bytes
    expiry_days: int
    theme_dir: Path | None = None

    def __post_init__(self) -> None:
        theme = load_theme(self.theme_dir)
        values = {"newsletter": self.newsletter, "expires": _EXPIRES}
        self.confirm = render_notice(theme, "signup_confirm", {**values, "confirm_url": _LINK})
        self.welcome = render_notice(
            theme, "signup_welcome", {**values, "unsubscribe_url": _LINK, "latest_url": _LATEST}
        )

    def confirmation(self, pending_id: int, email: str, now: dt.datetime) -> EmailMessage:
        expires = now + dt.timedelta(days=self.expiry_days)
        token = confirm_token(self.secret, pending_id, int(expires.timestamp()), email)
        link = f"{self.newsletter.base_url}/confirm?token={token}"
        fill = {_LINK: link, _EXPIRES: longdate(expires.date())}
        return self._message(
            email, f"Confirm your subscription to {self.newsletter.name}", self.confirm, fill
        )

    def welcoming(self, subscriber_id: int, email: str, latest_url: str) -> EmailMessage:
        link = f"{self.newsletter.base_url}/unsubscribe?token={make_token(self.secret, subscriber_id, email)}"
        html, text = self.welcome
        if not latest_url:  # the template shows the link only when there is one: drop its line
            text = "\n".join(line for line in text.splitlines() if _LATEST not in line) + "\n"
        fill = {_LINK: link, _LATEST: latest_url}
        return self._message(email, f"Welcome to {self.newsletter.name}", (html, text), fill)

    def _message(self, to: str, subject: str, parts: tuple[str, str], fill: dict[str, str]) -> EmailMessage:
        html, text = parts
        for placeholder, value in fill.items():
            html, text = html.replace(placeholder, value), text.replace(placeholder, value)
        message = EmailMessage(policy=MESSAGE_POLICY)
        message.set_raw("From", from_header(self.newsletter))
        message["To"] = header_text(to)
        message["Subject"] = header_text(subject)
        message["Date"] = format_datetime(utc_now())
        message["Message-ID"] = make_msgid(domain=sender_domain(self.newsletter.from_address))
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
        message.set_content(text, charset="utf-8")
        message.add_alternative(html, subtype="html", charset="utf-8")
        return message


class _Outbox:
    """The batch's messages, one per outbox item (an address may have two: confirm and welcome)."""

    def __init__(self, messages: dict[int, bytes]) -> None:
        self.messages = messages

    def personalise(self, recipient: Recipient) -> bytes:
        return self.messages[recipient.subscriber_id]


class SignupMailer(threading.Thread):
    """Drains the sign-up outbox through [smtp], beside `digest serve`."""

    def __init__(
        self,
        store: Store,
        emails: SignupEmails,
        delivery: DeliverySettings,
        *,
        environ: dict[str, str] | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__(name="signup-mailer", daemon=True)
        self.store, self.emails, self.delivery = store, emails, delivery
        self.environ = environ
        self.clock = clock
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.next_purge = 0.0

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
        self.join(timeout=10)

    def run(self) -> None:
        try:
            due_now(self.store, self.clock())
        except Exception:
            log.exception("the sign-up outbox could not be read")
        while not self.stopping.is_set():
            self.wakeup.clear()
            server_down = False
            try:
                if time.monotonic() >= self.next_purge:  # hourly: a scan of the pending sign-ups
                    purge_expired(self.store, self.clock() - dt.timedelta(days=self.emails.expiry_days + 1))
                    self.next_purge = time.monotonic() + PURGE_EVERY
                while not self.stopping.is_set() and not server_down:
                    due, server_down = self.send_due()
                    if not due:
                        break
            except Exception:  # the thread must outlive a bad moment (the database busy, a theme error)
                log.exception("the sign-up mailer failed; trying again in %s s", POLL_SECONDS)
            # The mail server down: sign-ups go on being queued, and are not tried one by one.
            (self.stopping if server_down else self.wakeup).wait(POLL_SECONDS)

    def send_due(self) -> tuple[int, bool]:
        """Send the emails due now (one batch): how many were due, and whether the server was down."""
        now = self.clock()
        items = due_emails(self.store, now)
        messages = {item.id: data for item in items if (data := self._build(item, now)) is not None}
        if not messages:
            return len(items), False
        by_id = {item.id: item for item in items}
        done: set[int] = set()

        def note(recipient: Recipient, outcome: Outcome, detail: str) -> None:
            item = by_id[recipient.subscriber_id]
            done.add(item.id)
            if outcome is Outcome.SENT:
                mark_sent(self.store, item, self.clock())
            else:
                log.warning("sign-up email to %s not sent: %s", item.email, detail)
                postpone(self.store, item, self.clock() + RETRY_AFTER, give_up_after=GIVE_UP_AFTER)

        smtp = self.delivery.smtp
        report = deliver(
            _Outbox(messages),
            [Recipient(email=by_id[i].email, subscriber_id=i) for i in messages],
            ledger=NoLedger(),  # not an issue: nothing goes into the send log
            sender=parseaddr(self.emails.newsletter.from_address)[1],
            transports=smtp_transports(resolve_target(smtp, self.environ)),
            options=SendOptions.for_smtp(smtp, concurrency=min(smtp.concurrency, 2), on_outcome=note),
        )
        if report.error:
            log.warning("sign-up emails wait for the mail server: %s", report.error)
            # Never tried (the server unreachable, or gone): due again at the next try, no attempt counted.
            hold(self.store, set(messages) - done, self.clock() + dt.timedelta(seconds=POLL_SECONDS))
        return len(items), bool(report.error)

    def _build(self, item: OutboxItem, now: dt.datetime) -> bytes | None:
        """The item's message; None (and the item dropped) when it is owed no more."""
        if item.kind == CONFIRM and item.pending_id is not None:
            pending = pending_signup(self.store, item.pending_id)
            if pending is not None:
                return self.emails.confirmation(pending.id, pending.email, now).as_bytes()
        else:
            subscriber = find_subscriber(self.store, item.email)
            if subscriber is not None and subscriber.status == "active":
                latest = latest_issue_url(self.store, self.emails.newsletter.base_url)
                return self.emails.welcoming(subscriber.id, subscriber.email, latest).as_bytes()
        mark_sent(self.store, item, now)
        return None
