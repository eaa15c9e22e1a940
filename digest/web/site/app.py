"""`digest serve`'s app: one Starlette application that features add their routes to.

The subscriber pages (unsubscribe) come from digest/web/site/unsubscribe.py; the web archive of
past issues mounts beside them by passing its routes (e.g. a `Mount("/issues", ...)`) in `extra`.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from digest.deliver import SigningSecret
from digest.store import Store
from digest.web.site.unsubscribe import UnsubscribePages


def health(_request) -> PlainTextResponse:
    return PlainTextResponse("ok\n")


def create_app(
    store: Store,
    secret: SigningSecret,
    *,
    newsletter_name: str = "this newsletter",
    extra: Sequence[BaseRoute] = (),
) -> Starlette:
    pages = UnsubscribePages(store, secret.value, newsletter_name)
    routes: list[BaseRoute] = [
        Route("/unsubscribe", pages.confirm, methods=["GET"]),
        Route("/unsubscribe", pages.unsubscribe, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        *extra,
    ]
    return Starlette(routes=routes)
