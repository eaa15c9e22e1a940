"""GET /unsubscribe shows a confirm page; POST unsubscribes (RFC 8058 one-click, and the page's button).

GET never changes anything: mail scanners and link previewers fetch links on their own. POST
with a valid token unsubscribes at once and answers 200, however often it comes. A token that
is malformed, altered or signed with another secret gets 400 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from digest.deliver import (
    ONE_CLICK,
    PROOF_ADDRESS,
    PROOF_SUBSCRIBER_ID,
    InvalidToken,
    token_subscriber_id,
    verify_token,
)
from digest.model import Subscriber, SubscriberStatus
from digest.store import Store, get_subscriber, unsubscribe

TEMPLATES = Path(__file__).parent / "templates"
ONE_CLICK_KEY, _, ONE_CLICK_VALUE = ONE_CLICK.partition("=")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def page(name: str, status_code: int = 200, *, referrer: str = "no-referrer", **context) -> HTMLResponse:
    """`referrer`: the page's Referrer-Policy. A page whose form POSTs must allow its origin at
    least ("same-origin"): under "no-referrer" browsers send `Origin: null`."""
    html = environment().get_template(name).render(**context)
    # The pages carry a live token: keep them out of caches and referrers.
    headers = {"Cache-Control": "no-store", "Referrer-Policy": referrer, "X-Robots-Tag": "noindex"}
    return HTMLResponse(html, status_code=status_code, headers=headers)


def token_holder(
    store: Store, secret: bytes, token: str, verify: Callable[[bytes, str, str], None]
) -> Subscriber | None:
    """The subscriber a link's token was made for (`verify`: which kind of token it must be);
    None for a proof's token. InvalidToken otherwise."""
    subscriber_id = token_subscriber_id(token)
    if subscriber_id == PROOF_SUBSCRIBER_ID:
        verify(secret, token, PROOF_ADDRESS)
        return None
    subscriber = get_subscriber(store, subscriber_id)
    if subscriber is None:
        raise InvalidToken("no such subscriber")
    verify(secret, token, subscriber.email)
    return subscriber


class UnsubscribePages:
    def __init__(self, store: Store, secret: bytes, newsletter_name: str) -> None:
        self.store = store
        self.secret = secret
        self.newsletter_name = newsletter_name

    def _subscriber(self, token: str) -> Subscriber | None:
        return token_holder(self.store, self.secret, token, verify_token)

    def _invalid(self) -> HTMLResponse:
        return page("unsubscribe_invalid.html", 400, newsletter=self.newsletter_name)

    def confirm(self, request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        try:
            subscriber = self._subscriber(token)
        except InvalidToken:
            return self._invalid()
        return page(
            "unsubscribe_confirm.html",
            newsletter=self.newsletter_name,
            token=token,
            proof=subscriber is None,
            done=subscriber is not None and subscriber.status is SubscriberStatus.UNSUBSCRIBED,
            email=subscriber.email if subscriber else "",
            one_click=(ONE_CLICK_KEY, ONE_CLICK_VALUE),
        )

    async def unsubscribe(self, request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        form = await request.form()
        if form.get(ONE_CLICK_KEY) != ONE_CLICK_VALUE:
            return page("unsubscribe_invalid.html", 400, newsletter=self.newsletter_name, missing_body=True)
        try:
            subscriber = self._subscriber(token)
        except InvalidToken:
            return self._invalid()
        if subscriber is not None:
            unsubscribe(self.store, subscriber.id, reason="unsubscribe link")
        return page(
            "unsubscribe_done.html",
            newsletter=self.newsletter_name,
            proof=subscriber is None,
            email=subscriber.email if subscriber else "",
        )
