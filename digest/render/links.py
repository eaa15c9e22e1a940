"""UTM tagging of story links, reporting each link's slot (``lead``, ``more-3``, ``sponsored-1``).

Tagging only ever appends: the story's own query string and fragment stay byte for byte, a
parameter the URL already carries is never overwritten, and a sponsor link that already has any
``utm_*`` parameter is left exactly as the sponsor gave it (their campaign tracking wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.model import Issue, LinkTagging
from digest.urls import absolute_http_url
from digest.words import name_slug


@dataclass(frozen=True, slots=True)
class UtmTagger:
    """The per-issue half of tagging: everything but the slot is fixed for the issue."""

    settings: LinkTagging
    source: str
    campaign: str

    @classmethod
    def for_issue(cls, issue: Issue) -> UtmTagger:
        settings = issue.newsletter.utm
        return cls(
            settings=settings,
            source=settings.source or name_slug(issue.newsletter.name),
            campaign=issue.issue_id,
        )

    def tag(self, url: str, slot: str, *, sponsored: bool = False) -> str:
        if not self.settings.enabled or (sponsored and not self.settings.sponsored):
            return url
        if not absolute_http_url(url):  # mailto:, a relative link: nothing to tag
            return url
        parts = urlsplit(url)
        present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
        if sponsored and any(key.startswith("utm_") for key in present):
            return url
        wanted = {
            "utm_source": self.source,
            "utm_medium": self.settings.medium,
            "utm_campaign": self.campaign,
            "utm_content": slot,
        }
        extra = urlencode([(key, value) for key, value in wanted.items() if key not in present])
        if not extra:
            return url
        query = f"{parts.query}&{extra}" if parts.query else extra
        return urlunsplit(parts._replace(query=query))


class LinkTracker:
    """While an issue renders for delivery with `[tracking] clicks` on: each tracked link becomes a
    marker word (`<prefix><n>z`) that the splice replaces per recipient with its `/c/<token>` link.
    The same link in the same slot keeps one number across the HTML and plain-text renders."""

    HONEYPOT = "honeypot"
    OPEN = "open"  # digest.store.clicks.OPEN_SLOT: the pixel's counts are kept apart under it

    def __init__(self, prefix: str, *, honeypot_url: str, clicks: bool, opens: bool) -> None:
        self.prefix = prefix
        self.clicks = clicks
        self.links: list[tuple[str, str]] = []
        """(slot, url) by number."""
        self._numbers: dict[tuple[str, str], int] = {}
        self.honeypot = self._marker(honeypot_url, self.HONEYPOT) if clicks else ""
        self.pixel = self._marker("", self.OPEN) if opens else ""

    def mark(self, url: str, slot: str) -> str:
        """A link of the theme's (`url | track(slot)`): its marker, or itself when not counted."""
        if not self.clicks or not absolute_http_url(url):  # mailto:, a relative link: nothing to count
            return url
        return self._marker(url, slot)

    def _marker(self, url: str, slot: str) -> str:
        number = self._numbers.setdefault((slot, url), len(self.links))
        if number == len(self.links):
            self.links.append((slot, url))
        return f"{self.prefix}{number}z"


def untagged(url: str) -> str:
    """The URL without utm_* parameters or fragment: what two links to one story have in common."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(kept), fragment=""))
