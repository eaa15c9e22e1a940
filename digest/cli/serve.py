"""`digest serve [--host 127.0.0.1] [--port 8080]`: the subscriber-facing web app."""

from __future__ import annotations

import socket
from pathlib import Path

import click
import uvicorn

from digest.deliver import load_secret
from digest.errors import ConfigError
from digest.feedback.act import SoftBouncePolicy
from digest.settings import load_delivery_settings
from digest.store import open_store
from digest.web.site import archive_routes, create_app, live_archive_routes
from digest.web.site.app import base_path_of
from digest.web.site.clicks import ClickCounter
from digest.web.site.signup import start_signup


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="0: any free port."
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="digest.toml (or an issue.toml) [default: the nearest digest.toml].",
)
@click.option(
    "--archive",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Serve this web archive (made by `digest archive --out DIR`) at the site's root "
    "[default: the issues sent, live from the store and [archive] path].",
)
def serve_command(host: str, port: int, config: Path | None, archive: Path | None) -> None:
    """Serve the subscriber pages (unsubscribe: GET confirm, POST one-click; each subscriber's
    preference page) and the web archive of the issues sent, for [newsletter] base_url."""
    extra = archive_routes(archive) if archive is not None else []
    settings = load_delivery_settings(config)
    if settings.webhooks.missing:  # a provider's route configured, its secret not in the environment
        raise ConfigError(settings.webhooks.missing[0])
    # A forgeable (public) secret would let anyone unsubscribe anyone: never serve with it.
    secret = load_secret(settings.delivery.secret_file, allow_development=False)
    store = open_store(settings.delivery.store)
    archive_dir = settings.delivery.archive_dir
    if archive is None and archive_dir is not None:
        extra = live_archive_routes(store, archive_dir)
    name = settings.newsletter.name if settings.newsletter else "this newsletter"
    base_path = base_path_of(settings.newsletter.base_url) if settings.newsletter else ""
    soft = settings.feedback.settings if settings.feedback is not None else None
    policy = SoftBouncePolicy(soft.soft_bounce_limit, soft.soft_bounce_days) if soft else SoftBouncePolicy()
    signup = start_signup(store, secret.value, settings)
    tracking = settings.delivery.tracking
    clicks = (
        ClickCounter(store, secret.value, tracking).start() if tracking.clicks or tracking.opens else None
    )
    app = create_app(
        store,
        secret,
        newsletter_name=name,
        extra=extra,
        base_path=base_path,
        webhooks=settings.webhooks,
        soft_bounces=policy,
        signup=signup[0] if signup else None,
        clicks=clicks,
    )
    # Bind first, so `--port 0` (any free port) can say which one it got.
    try:
        listener = socket.create_server((host, port), family=_family(host))
    except OSError as e:  # the port is taken, or the address is not this machine's
        raise ConfigError(f"cannot listen on {_url_host(host)}:{port}: {e.strerror or e}") from None
    address = f"http://{_url_host(host)}:{listener.getsockname()[1]}{base_path}/"
    click.echo(f"serving unsubscribe pages for {name} on {address} (store {store.path})")
    if providers := settings.webhooks.providers():
        click.echo(f"taking provider webhooks at {', '.join(f'{address}webhooks/{p}' for p in providers)}")
    if signup is not None:
        click.echo(f"taking sign-ups at {address}subscribe (double opt-in)")
    if clicks is not None:
        click.echo(f"counting clicks on {address}c/ (in memory, written every second and on shutdown)")
    if archive is not None:
        click.echo(f"serving the web archive in {archive} at {address}")
    elif archive_dir is not None:
        click.echo(f"serving the web archive of the issues sent (copies in {archive_dir}) at {address}")
    try:
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listener])
    finally:
        if signup is not None:
            signup[1].stop()
        if clicks is not None:
            clicks.stop()  # the app's lifespan has written them already, unless uvicorn never started
        listener.close()
        store.close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
