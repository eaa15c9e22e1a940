"""`digest form [--config FILE] [--origin URL]`: the embeddable sign-up form's HTML, for a CMS."""

from __future__ import annotations

from pathlib import Path

import click

from digest.deliver import load_secret
from digest.errors import ConfigError
from digest.settings import load_delivery_settings
from digest.web.site.signup import embed_snippet


@click.command("form")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="digest.toml [default: the nearest digest.toml].",
)
@click.option(
    "--origin", default="", help="The site the form goes on [default: the first of [signup] allowed_origins]."
)
def form_command(config: Path | None, origin: str) -> None:
    """Print the sign-up form's HTML snippet to paste into a page of a site in [signup]
    allowed_origins: it POSTs to `digest serve`'s /subscribe (double opt-in)."""
    settings = load_delivery_settings(config)
    signup = settings.signup
    if not signup.settings.enabled:
        raise ConfigError("[signup] is not enabled: set enabled = true (and privacy_url) in digest.toml")
    if settings.newsletter is None:
        raise ConfigError("[signup] needs [newsletter] (its name and base_url)")
    if not origin:
        if not signup.settings.allowed_origins:
            raise ConfigError("[signup] allowed_origins is empty: name the site the form goes on there")
        origin = signup.settings.allowed_origins[0]
    # The token is signed with the secret `digest serve` checks it with: never the development one.
    secret = load_secret(settings.delivery.secret_file, allow_development=False)
    newsletter = settings.newsletter
    click.echo(embed_snippet(secret.value, newsletter.name, newsletter.base_url, signup, origin), nl=False)
