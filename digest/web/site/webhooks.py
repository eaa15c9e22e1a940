"""POST /webhooks/{mailgun,sendgrid,postmark,ses}: what providers tell `digest serve` came back.

A route exists only for a provider configured in [webhooks] (else 404). Each request is read up
to MAX_BODY_BYTES (more: 413), verified by its provider's module (digest/feedback/webhooks/)
before anything in it is believed (forged, unsigned, stale: 4xx, nothing changes), claimed once
by its replay key (the same request again: 409, nothing changes), and its events acted on as
`digest feedback fetch` acts on a message (feedback/act.py), each event once by its id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
from cryptography import x509
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from digest.clock import utc_now
from digest.errors import ConfigError, DigestError
from digest.feedback.act import DEFAULT_SOFT_BOUNCES, FeedbackReport, SoftBouncePolicy, act_and_remember
from digest.feedback.webhooks import MAX_BODY_BYTES, Refused, Verified
from digest.feedback.webhooks.mailgun import verify_mailgun
from digest.feedback.webhooks.postmark import verify_postmark
from digest.feedback.webhooks.sendgrid import load_public_key, verify_sendgrid
from digest.feedback.webhooks.ses import check_cert_url, verify_ses
from digest.settings.webhooks import WebhookSecrets
from digest.store import Store
from digest.store.feedback_log import ProcessedMessages

CONFIRM_TIMEOUT = 10.0
"""Seconds for fetching an SNS certificate or visiting a SubscribeURL (the only fetches here)."""
Verifier = Callable[[bytes, Mapping[str, str], dt.datetime], Verified]


class TooLarge(Exception):
    pass


async def capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused (TooLarge) past `limit` bytes whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class WebhookEndpoint:
    """One provider's route: verify, claim, act."""

    def __init__(
        self, provider: str, verify: Verifier, store: Store, policy: SoftBouncePolicy, secret: bytes | None
    ) -> None:
        self.provider = provider
        self.verify = verify
        self.store = store
        self.policy = policy
        self.secret = secret

    async def handle(self, request: Request) -> PlainTextResponse:
        try:
            body = await capped_body(request)
        except TooLarge:
            return PlainTextResponse(f"larger than {MAX_BODY_BYTES} bytes\n", 413)
        now = utc_now()
        try:
            # In a thread: SES's verification may fetch its signing certificate (once per URL).
            verified = await run_in_threadpool(self.verify, body, request.headers, now)
        except Refused as e:
            return PlainTextResponse(f"{self.provider}: {e}\n", e.status)
        try:
            return await run_in_threadpool(self.apply, verified, now)
        except DigestError as e:  # the database busy or full: the provider retries on a 5xx
            return PlainTextResponse(f"{self.provider}: not processed, try again: {e}\n", 503)

    def apply(self, verified: Verified, now: dt.datetime) -> PlainTextResponse:
        processed = ProcessedMessages(self.store)
        if verified.confirm_url is not None:
            return self.confirm(verified, processed, now)
        # Claimed before acting (one INSERT): two copies of a request racing each other act once.
        if verified.replay_key is not None and not processed.record(
            verified.replay_key, source=self.provider, kind="request", now=now
        ):
            return PlainTextResponse(f"{self.provider}: a replay (this request was processed before)\n", 409)
        report = FeedbackReport()
        try:
            for found in verified.events:
                report.read += 1
                key = found.message_id or ""
                if processed.seen(key):
                    report.already_processed += 1
                    continue
                act_and_remember(
                    found,
                    self.store,
                    report,
                    key=key,
                    source=self.provider,
                    now=now,
                    policy=self.policy,
                    secret=self.secret,
                )
        except BaseException:
            # Not done: the provider's retry must be let in (the events acted on already are
            # recorded one by one, so the retry acts only on the rest).
            if verified.replay_key is not None:
                processed.release(verified.replay_key)
            raise
        return PlainTextResponse(f"{self.provider}: {report.summary()}\n")

    def confirm(
        self, verified: Verified, processed: ProcessedMessages, now: dt.datetime
    ) -> PlainTextResponse:
        """Confirm an SNS subscription by visiting its (checked) SubscribeURL; remembered only once
        it worked, so SNS's retry of a failed one is tried again."""
        assert verified.confirm_url is not None and verified.replay_key is not None
        if processed.seen(verified.replay_key):
            return PlainTextResponse(f"{self.provider}: a replay (this request was processed before)\n", 409)
        try:
            answer = httpx.get(verified.confirm_url, timeout=CONFIRM_TIMEOUT, follow_redirects=False)
        except httpx.HTTPError as e:
            return PlainTextResponse(f"{self.provider}: the subscription could not be confirmed: {e}\n", 502)
        if answer.status_code != 200:
            return PlainTextResponse(
                f"{self.provider}: confirming the subscription got {answer.status_code}\n", 502
            )
        processed.record(verified.replay_key, source=self.provider, kind="subscription", now=now)
        return PlainTextResponse(f"{self.provider}: subscription confirmed\n")


class SnsCertificates:
    """SNS signing certificates: the one configured as trusted (nothing is fetched then), or the one
    at a checked SigningCertURL, fetched once over https with a timeout and kept."""

    def __init__(self, trusted: Path | None) -> None:
        self.trusted = _load_certificate(trusted.read_bytes(), str(trusted)) if trusted else None
        self.fetched: dict[str, x509.Certificate] = {}

    def __call__(self, url: str) -> x509.Certificate:
        if self.trusted is not None:
            return self.trusted
        check_cert_url(url)
        if url not in self.fetched:
            try:
                answer = httpx.get(url, timeout=CONFIRM_TIMEOUT, follow_redirects=False)
                answer.raise_for_status()
            except httpx.HTTPError as e:
                raise Refused(f"the signing certificate could not be fetched: {e}", 502) from None
            self.fetched[url] = _load_certificate(answer.content, url)
        return self.fetched[url]


def _load_certificate(pem: bytes, where: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise Refused(f"{where} is not a PEM certificate") from None


def webhook_routes(
    store: Store,
    secrets: WebhookSecrets,
    policy: SoftBouncePolicy = DEFAULT_SOFT_BOUNCES,
    secret: bytes | None = None,
) -> list[BaseRoute]:
    """The routes of the providers `secrets` configures; the others are not there (404). `secret`
    (the project's) recognises erased addresses, which feedback must not bring back."""
    verifiers: dict[str, Verifier] = {}
    if secrets.mailgun_signing_key is not None:
        key = secrets.mailgun_signing_key
        verifiers["mailgun"] = lambda body, _headers, now: verify_mailgun(body, key, now)
    if secrets.sendgrid_public_key is not None:
        public_key = secrets.sendgrid_public_key
        try:
            load_public_key(public_key)
        except ValueError as e:
            raise ConfigError(f"[webhooks] sendgrid_public_key: {e}") from None
        verifiers["sendgrid"] = lambda body, headers, now: verify_sendgrid(body, headers, public_key, now)
    if secrets.postmark_credentials is not None:
        credentials = secrets.postmark_credentials
        verifiers["postmark"] = lambda body, headers, _now: verify_postmark(body, headers, credentials)
    if secrets.ses_topic_arn is not None:
        topic = secrets.ses_topic_arn
        try:
            certificates = SnsCertificates(secrets.ses_trusted_certificate)
        except (OSError, Refused) as e:
            raise ConfigError(f"[webhooks] ses_trusted_certificate: {e}") from None
        verifiers["ses"] = lambda body, _headers, now: verify_ses(body, topic, certificates, now)
    endpoints = {
        provider: WebhookEndpoint(provider, verify, store, policy, secret)
        for provider, verify in verifiers.items()
    }
    return [Route(f"/webhooks/{p}", endpoint.handle, methods=["POST"]) for p, endpoint in endpoints.items()]
