"""GET/POST /subscribe (the sign-up form, hosted or embedded) and GET/POST /confirm (double opt-in).

POST /subscribe answers every address alike, byte for byte: new, pending, subscribed or
suppressed (no enumeration); what it did is in the store only. A sign-up is kept and its
confirmation queued in one transaction (digest/store/signups.py) and the mailer thread is woken:
the request never waits on SMTP. Bots are turned away quietly (the same answer, nothing done):
the honeypot filled in, the hosted form sent back faster than [signup] min_fill_seconds, an
address over its hourly limit. Refused outright: a POST from a site not in allowed_origins (403),
a missing or forged form token (403), an IP over its hourly limit (429), an invalid address or a
blocked or disposable domain (400: about the domain, never whether the address is known).

GET /confirm shows one button and changes nothing (link scanners follow GETs); only its POST
confirms. A forged or malformed link gets 400; an expired one 400 saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from digest.clock import utc_now
from digest.deliver import InvalidToken, erasure_salt
from digest.errors import ConfigError
from digest.settings import ProjectDelivery
from digest.settings.signup import SignupConfig
from digest.store import ConsentMethod, Store, clean_name, consent_text_hash, parse_address
from digest.store.signups import (
    ConfirmOutcome,
    SignupRequest,
    confirm_signup,
    pending_signup,
    request_signup,
)
from digest.urls import origin_of
from digest.web.site.signup_guard import RateLimits, disposable_domains, domain_refused
from digest.web.site.signup_mail import SignupEmails, SignupMailer, latest_issue_url
from digest.web.site.signup_tokens import (
    HOSTED_FORM_MAX_AGE,
    confirm_token_parts,
    form_token,
    verify_confirm_token,
    verify_form_token,
)
from digest.web.site.unsubscribe import environment, page
from digest.web.site.webhooks import TooLarge, capped_body

HONEYPOT = "website"
"""A field people never see or fill in (off-screen, out of the tab order); bots fill in every field."""
TOKEN_FIELD = "form_token"
MAX_FIELD = 320
"""Characters kept of a field (an address is at most 254; a name is one line)."""
MAX_FORM_BYTES = 16 * 1024
"""A sign-up's body is a few hundred bytes; more is refused unread (413)."""


@dataclass(frozen=True)
class Site:
    """What the sign-up pages show and sign with."""

    secret: bytes
    newsletter: str
    base_url: str
    """[newsletter] base_url: the confirmation link's and the hosted form's address."""


class SignupPages:
    def __init__(
        self, store: Store, site: Site, config: SignupConfig, wake: Callable[[], None] = lambda: None
    ) -> None:
        self.store, self.site, self.config, self.wake = store, site, config, wake
        self.settings = config.settings
        self.per_ip = RateLimits(self.settings.per_ip_per_hour)
        self.per_address = RateLimits(self.settings.per_address_per_hour)
        self.disposable = disposable_domains(
            config.disposable_domains_file, packaged=self.settings.block_disposable
        )
        self.consent_hash = consent_text_hash(self.settings.consent_text)
        self.own_origin = origin_of(site.base_url) if site.base_url else ""
        # Every sign-up gets this same answer: rendered once, the same bytes for every address.
        self.sent = self._page("subscribe_sent.html")

    def _page(self, template: str, status: int = 200, **context) -> HTMLResponse:
        # same-origin: the form's POST must carry this site's Origin (no-referrer sends "null"),
        # and the confirm page's token still never leaves for another site.
        return page(template, status, referrer="same-origin", newsletter=self.site.newsletter, **context)

    def form(self, _request: Request) -> HTMLResponse:
        return self._form_page()

    def _form_page(
        self, status: int = 200, problem: str = "", email: str = "", name: str = ""
    ) -> HTMLResponse:
        return self._page(
            "subscribe.html",
            status,
            token=form_token(self.site.secret, int(time.time())),
            consent_text=self.settings.consent_text,
            privacy_url=self.settings.privacy_url,
            honeypot=HONEYPOT,
            token_field=TOKEN_FIELD,
            problem=problem,
            email=email,
            given_name=name,
        )

    def _origin_allowed(self, request: Request) -> str | None:
        """The request's Origin when this site takes POSTs from it ("" when it sent none); None if not."""
        origin = request.headers.get("origin", "")
        if not origin:
            return ""  # not a browser, or one that sends no Origin: the form token still decides
        own = {self.own_origin, origin_of(str(request.base_url))}
        return origin if origin in own or origin in self.settings.allowed_origins else None

    async def subscribe(self, request: Request) -> HTMLResponse:
        origin = self._origin_allowed(request)
        if origin is None:
            return self._page("signup_refused.html", 403, why="origin")
        form = await _form(request)
        if form is None:
            return self._page("signup_refused.html", 413, why="size")
        fields = {key: form.get(key, "")[:MAX_FIELD] for key in ("email", "name", HONEYPOT, TOKEN_FIELD)}
        try:
            token = verify_form_token(self.site.secret, fields[TOKEN_FIELD], origin)
        except InvalidToken:
            return self._page("signup_refused.html", 403, why="token")
        age = time.time() - token.issued
        if token.hosted and age > HOSTED_FORM_MAX_AGE:
            return self._form_page(400, "The form was open for too long: please send it again.")
        ip = request.client.host if request.client else ""
        if not self.per_ip.allow(ip):
            return self._page("signup_refused.html", 429, why="rate")
        try:
            email = parse_address(fields["email"])
        except ValueError as e:
            return self._form_page(
                400, f"That is not an email address we can send to: {e}", name=fields["name"]
            )
        if domain_refused(email, self.settings.blocked_domains, self.disposable):
            return self._form_page(400, "Please use a permanent address: this domain cannot sign up.")
        bot = bool(fields[HONEYPOT]) or (token.hosted and age < self.settings.min_fill_seconds)
        if not bot and self.per_address.allow(email.lower()):
            where = f"{self.site.base_url}/subscribe" if token.hosted else f"embedded form on {origin or '?'}"
            signup = SignupRequest(
                email=email,
                name=clean_name(fields["name"]),
                source=f"{ConsentMethod.FORM}: {where}",
                text_hash=self.consent_hash,
                ip=ip if self.settings.record_ip else "",
            )
            await run_in_threadpool(request_signup, self.store, signup, utc_now())
            self.wake()
        return HTMLResponse(self.sent.body, headers=dict(self.sent.headers))

    def _checked(self, token: str) -> tuple[int, str] | HTMLResponse:
        """(pending id, address) of a valid, unexpired link; else the page that says why not."""
        try:
            pending_id, _ = confirm_token_parts(token)
        except InvalidToken:
            return self._page("signup_invalid.html", 400)
        pending = pending_signup(self.store, pending_id)
        if pending is None:  # used already, or expired and forgotten: both look like this
            return self._page("signup_invalid.html", 400, gone=True, latest=self._latest())
        try:
            expires = verify_confirm_token(self.site.secret, token, pending.email)
        except InvalidToken:
            return self._page("signup_invalid.html", 400)
        if expires < time.time():
            return self._page("signup_invalid.html", 400, expired=True)
        return pending_id, pending.email

    def confirm_page(self, request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        checked = self._checked(token)
        if isinstance(checked, HTMLResponse):
            return checked
        return self._page(
            "signup_confirm.html",
            token=token,
            email=checked[1],
            form_token=form_token(self.site.secret, int(time.time())),
            token_field=TOKEN_FIELD,
        )

    async def confirm(self, request: Request) -> HTMLResponse:
        if self._origin_allowed(request) is None:
            return self._page("signup_refused.html", 403, why="origin")
        form = await _form(request)
        if form is None:
            return self._page("signup_refused.html", 413, why="size")
        try:
            verify_form_token(self.site.secret, form.get(TOKEN_FIELD, ""), "")
        except InvalidToken:
            return self._page("signup_refused.html", 403, why="token")
        checked = await run_in_threadpool(self._checked, request.query_params.get("token", ""))
        if isinstance(checked, HTMLResponse):
            return checked
        outcome = await run_in_threadpool(
            confirm_signup,
            self.store,
            *checked,
            utc_now(),
            welcome=self.settings.welcome,
            erasure_salt=erasure_salt(self.site.secret),
        )
        if outcome is ConfirmOutcome.CONFIRMED and self.settings.welcome:
            self.wake()
        # Suppressed meanwhile (a complaint, a bounce): not activated, and not told apart here.
        return self._page("signup_done.html", email=checked[1], latest=self._latest())

    def _latest(self) -> str:
        return latest_issue_url(self.store, self.site.base_url) if self.site.base_url else ""


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded form the pages send (the browser's default); None past MAX_FORM_BYTES."""
    try:
        body = await capped_body(request, MAX_FORM_BYTES)
    except TooLarge:
        return None
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def signup_routes(pages: SignupPages | None) -> list[BaseRoute]:
    """The sign-up's routes ([signup] enabled), or none (404)."""
    if pages is None:
        return []
    return [
        Route("/subscribe", pages.form, methods=["GET"]),
        Route("/subscribe", pages.subscribe, methods=["POST"]),
        Route("/confirm", pages.confirm_page, methods=["GET"]),
        Route("/confirm", pages.confirm, methods=["POST"]),
    ]


def start_signup(
    store: Store, secret: bytes, settings: ProjectDelivery, environ: dict[str, str] | None = None
) -> tuple[SignupPages, SignupMailer] | None:
    """[signup]'s pages and its running mailer, or None when it is off. The emails are rendered
    here, so a theme mistake stops `digest serve` before it takes a sign-up."""
    config = settings.signup
    if not config.settings.enabled:
        return None
    newsletter = settings.newsletter
    if newsletter is None:
        raise ConfigError("[signup] enabled needs [newsletter] (its name, from_address and base_url)")
    emails = SignupEmails(newsletter, secret, config.settings.confirm_expiry_days, config.theme_dir)
    mailer = SignupMailer(store, emails, settings.delivery, environ=environ)
    pages = SignupPages(store, Site(secret, newsletter.name, newsletter.base_url), config, mailer.wake)
    mailer.start()
    return pages, mailer


def embed_snippet(secret: bytes, newsletter: str, base_url: str, config: SignupConfig, origin: str) -> str:
    """The HTML form a CMS pastes into a page of `origin` (one of [signup] allowed_origins): no
    script, a form token bound to that site, the consent sentence and the privacy link."""
    settings = config.settings
    if origin_of(origin) not in settings.allowed_origins:
        raise ConfigError(f"{origin} is not in [signup] allowed_origins: add it there first")
    return (
        environment()
        .get_template("signup_embed.html")
        .render(
            newsletter=newsletter,
            origin=origin_of(origin),
            action=f"{base_url}/subscribe",
            token=form_token(secret, int(time.time()), origin_of(origin)),
            token_field=TOKEN_FIELD,
            honeypot=HONEYPOT,
            consent_text=settings.consent_text,
            privacy_url=settings.privacy_url,
        )
    )
