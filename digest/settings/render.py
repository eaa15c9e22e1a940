"""`[render]` (digest.toml or issue.toml): how the email shows what the feeds give it."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import field_validator

from digest.settings.table import Table
from digest.urls import absolute_http_url, through_image_base


class RenderSettings(Table):
    """`[render]` in digest.toml or issue.toml (issue.toml wins key by key)."""

    image_base: str = ""
    """An https image proxy for feeds' http:// pictures, which are otherwise left out (with a
    warning): the picture's URL, percent-encoded, goes in place of `{url}`, or at the end when
    there is no `{url}` ("https://images.example.org/proxy?url=")."""

    @field_validator("image_base")
    @classmethod
    def _check_image_base(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        example = absolute_http_url(through_image_base("http://example.org/a.jpg", value))
        if urlsplit(example).scheme.lower() != "https":
            raise ValueError(
                'must be an https:// URL, e.g. "https://images.example.org/proxy?url=" or '
                '"https://images.example.org/{url}?w=600"'
            )
        return value
