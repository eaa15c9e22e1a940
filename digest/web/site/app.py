"""`digest serve`'s app: one Starlette application that features add their routes to.

The subscriber pages come from digest/web/site/unsubscribe.py, preferences.py and (when
[signup] is enabled) signup.py, the counted links' redirects from clicks.py, the providers' webhooks
(when [webhooks] configures them) from webhooks.py; the web archive of past issues mounts beside
them by passing its routes (e.g. a `Mount("/issues", ...)`) in `extra`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Lifespan

from digest.deliver import SigningSecret
from digest.feedback.act import DEFAULT_SOFT_BOUNCES, SoftBouncePolicy
from digest.settings.webhooks import NO_WEBHOOKS, WebhookSecrets
from digest.store import Store
from digest.web.site.clicks import ClickCounter, click_routes
from digest.web.site.preferences import PreferencePages
from digest.web.site.signup import SignupPages, signup_routes
from digest.web.site.unsubscribe import UnsubscribePages
from digest.web.site.webhooks import webhook_routes


def health(_request) -> PlainTextResponse:
    return PlainTextResponse("ok\n")


def create_app(
    store: Store,
    secret: SigningSecret,
    *,
    newsletter_name: str = "this newsletter",
    extra: Sequence[BaseRoute] = (),
    base_path: str = "",
    webhooks: WebhookSecrets = NO_WEBHOOKS,
    soft_bounces: SoftBouncePolicy = DEFAULT_SOFT_BOUNCES,
    signup: SignupPages | None = None,
    clicks: ClickCounter | None = None,
) -> Starlette:
    """The site. With `base_path` (the path of `[newsletter] base_url`, e.g. "/weekly") it answers
    under that path, where every emailed link points, and at the root as well, for a reverse proxy
    that strips the prefix before passing a request on."""
    pages = UnsubscribePages(store, secret.value, newsletter_name)
    preferences = PreferencePages(store, secret.value, newsletter_name)
    routes: list[BaseRoute] = [
        Route("/unsubscribe", pages.confirm, methods=["GET"]),
        Route("/unsubscribe", pages.unsubscribe, methods=["POST"]),
        Route("/preferences", preferences.show, methods=["GET"]),
        Route("/preferences", preferences.change, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        *webhook_routes(store, webhooks, soft_bounces, secret.value),
        *signup_routes(signup),
        *click_routes(secret.value, clicks),
        *extra,
    ]
    base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
    if base_path:
        routes = [Mount(base_path, routes=routes), *routes]
    return Starlette(routes=routes, lifespan=_writing_clicks_at_shutdown(clicks))


def _writing_clicks_at_shutdown(clicks: ClickCounter | None) -> Lifespan[Starlette]:
    """Uvicorn's graceful shutdown (SIGTERM, Ctrl-C) ends the lifespan before it re-raises the
    signal: the clicks still in memory are written there, not after `run` returns."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if clicks is not None:
            clicks.stop()

    return lifespan


def base_path_of(base_url: str) -> str:
    """The path part of `[newsletter] base_url` ("https://example.org/weekly" → "/weekly")."""
    return urlsplit(base_url).path.rstrip("/")
