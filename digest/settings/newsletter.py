"""`[newsletter]` and `[newsletter.utm]`: who sends the newsletter, and how its links are tagged."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from digest.model import LinkTagging, Newsletter
from digest.settings.table import Table, check_address, check_http_url, check_timezone


class UtmSettings(Table):
    """``[newsletter.utm]``: UTM parameters on story links.

    utm_campaign is the issue id and utm_content the slot (``lead``, ``more-3``, ``sponsored-1``).
    """

    enabled: bool = True
    """Set to false to leave every link exactly as the story gave it."""
    source: str = Field(default="", pattern=r"^[A-Za-z0-9._~-]*$")
    """utm_source; empty means a slug of the newsletter's name, e.g. "meridian-daily"."""
    medium: str = Field(default="email", min_length=1, pattern=r"^[A-Za-z0-9._~-]+$")
    """utm_medium."""
    sponsored: bool = True
    """Tag sponsor links too: only appended, and a sponsor link already carrying utm_* is left alone."""

    def to_model(self) -> LinkTagging:
        return LinkTagging(
            enabled=self.enabled, source=self.source, medium=self.medium, sponsored=self.sponsored
        )


class NewsletterSettings(Table):
    name: str = Field(min_length=1)
    """The newsletter's name, shown in the header and as the sender's display name."""
    publication: str = Field(min_length=1)
    """Who publishes it: "More from <publication>"."""
    from_address: str = Field(alias="from")
    """Sender, e.g. "GZERO Daily <daily@example.com>"."""
    base_url: str
    """Where the web archive and the unsubscribe endpoint live (https)."""
    postal_address: str = Field(min_length=1)
    """A physical address: required in commercial email by CAN-SPAM and similar laws."""
    lang: str = Field(default="en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    """`<html lang>` of the email."""
    timezone: str = "UTC"
    """IANA timezone of the issue date, story dates and the week's window."""
    reply_to: str = ""
    """Where replies go, when not to the from address."""
    theme: str | None = None
    """A folder whose templates override the default theme file by file (relative to the file)."""
    secret_file: str | None = None
    """File holding the unsubscribe-link signing secret (relative to the file); DIGEST_SECRET wins."""
    unsubscribe_mailto: str = ""
    """Mailbox named in List-Unsubscribe's mailto: link; defaults to the from address."""
    utm: UtmSettings = UtmSettings()
    """UTM tagging of story links, ``[newsletter.utm]``."""

    _check_from = field_validator("from_address")(check_address)
    _check_timezone = field_validator("timezone")(check_timezone)

    @field_validator("reply_to")
    @classmethod
    def _check_reply_to(cls, value: str) -> str:
        return check_address(value) if value else value

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _check_unsubscribe_mailto(cls, value: str) -> str:
        if not value:
            return value
        check_address(value)
        from email.utils import parseaddr

        return parseaddr(value)[1]

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return check_base_url(check_http_url(value)).rstrip("/")

    def to_model(self) -> Newsletter:
        return Newsletter(
            name=self.name,
            publication=self.publication,
            from_address=self.from_address,
            base_url=self.base_url,
            postal_address=self.postal_address.strip(),
            lang=self.lang,
            timezone=self.timezone,
            reply_to=self.reply_to,
            utm=self.utm.to_model(),
        )

    @property
    def mailbox(self) -> str:
        """List-Unsubscribe's mailto: mailbox: [newsletter] unsubscribe_mailto, else the sender's."""
        from email.utils import parseaddr

        return self.unsubscribe_mailto or parseaddr(self.from_address)[1]


# Characters that would end or split a URL where digest writes one: List-Unsubscribe's <…>, an
# HTML attribute, a header. A base URL is a plain scheme://host[:port][/path].
_NOT_IN_BASE_URL = set("<>\"'\\`{}|^")


def check_base_url(url: str) -> str:
    """`base_url` is prefixed to every unsubscribe and archive link, so it must be only a base."""
    parts = urlsplit(url)
    if bad := sorted(_NOT_IN_BASE_URL.intersection(url)):
        raise ValueError(f"must not contain {' '.join(bad)}")
    if "@" in parts.netloc:
        raise ValueError("must not contain a user name or password (nothing before @)")
    if parts.query or url.rstrip("/").endswith("?"):
        raise ValueError("must not have a query (?…): it is the start of every link")
    if parts.fragment or "#" in url:
        raise ValueError("must not have a fragment (#…): it is the start of every link")
    return url
