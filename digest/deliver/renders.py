"""An issue rendered for the splice, and each recipient's values: name, unsubscribe, counted links.

Rendered once per issue (twice: with and without a name); the per-recipient values are computed
per copy. With `[tracking] clicks` on, the tracked links (story, sponsor and footer links, the
honeypot, the open pixel) are markers in the render and each copy gets its own `/c/<token>` links
(`ClickLinks`): the link half of each token is made once per issue, the signature per copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from digest.deliver.click_tokens import (
    NOT_COUNTED,
    TrackedLink,
    clicker_key,
    link_part,
    sign_link,
    who_part,
)
from digest.deliver.preference_tokens import preferences_token
from digest.deliver.splice import Markers, Recipient, RecipientValues, fill_markers
from digest.deliver.tokens import PROOF_SUBSCRIBER_ID, make_token
from digest.model import Issue, RenderedIssue
from digest.render import LinkTracker, RecipientLinks, Theme, render_issue
from digest.settings.tracking import TRACKING_OFF, TrackingSettings

_NOT_LINKS = (LinkTracker.HONEYPOT, LinkTracker.OPEN)
_COUNTERS = r'<div[^<>]*><a href="GONE"[^<>]*>[^<>]*</a></div>|<img src="GONE"[^<>]*>'
"""The honeypot's hidden block and the pixel, as templates/partials/footer.mjml.j2 writes them."""
CLICK_PATH = "/c/"
OPEN_PATH = "/o/"


@dataclass(frozen=True)
class ClickLinks:
    """The tracked links of one issue, and how each copy's are made."""

    issue_id: str
    base_url: str
    links: tuple[tuple[str, str], ...]
    """(slot, original URL) by number, as the render numbered them."""
    individual: bool = False
    counting: bool = True
    """False for proofs and dry runs: their links work and count nothing."""

    def parts(self) -> tuple[tuple[str, str], ...]:
        """(path, link half of the token) by number: the same for every copy."""
        total = sum(slot not in _NOT_LINKS for slot, _ in self.links)
        return tuple(
            (
                OPEN_PATH if slot == LinkTracker.OPEN else CLICK_PATH,
                link_part(TrackedLink(self.issue_id, slot, number, total, url)),
            )
            for number, (slot, url) in enumerate(self.links)
        )

    def values(self, secret: bytes) -> Callable[[Recipient], tuple[str, ...]]:
        parts = self.parts()
        base = self.base_url

        def for_recipient(recipient: Recipient) -> tuple[str, ...]:
            if not self.counting or recipient.subscriber_id == PROOF_SUBSCRIBER_ID:
                who = NOT_COUNTED
            else:
                clicker = clicker_key(secret, self.issue_id, recipient.subscriber_id)
                who = who_part(clicker, recipient.subscriber_id if self.individual else None)
            return tuple(f"{base}{path}{sign_link(secret, link, who)}" for path, link in parts)

        return for_recipient


def link_values(
    issue: Issue, secret: bytes, clicks: ClickLinks | None = None
) -> Callable[[Recipient], RecipientValues]:
    archive = RecipientLinks.for_archive(issue)
    unsubscribe, preferences = f"{archive.unsubscribe}?token=", f"{archive.preferences}?token="
    counted = clicks.values(secret) if clicks is not None else None

    def values(recipient: Recipient) -> RecipientValues:
        token = make_token(secret, recipient.subscriber_id, recipient.email)
        own_page = preferences_token(secret, recipient.subscriber_id, recipient.email)
        links = counted(recipient) if counted is not None else ()
        return RecipientValues(
            recipient.greeting, unsubscribe + token, archive.view_online, preferences + own_page, token, links
        )

    return values


@dataclass(frozen=True)
class DeliveryRenders:
    """One issue rendered for the splice: with marker words where the name and the links go, once
    with a name and once without. Every copy is filled in from these; nothing renders again."""

    named: RenderedIssue
    anonymous: RenderedIssue
    markers: Markers
    tracked: tuple[tuple[str, str], ...] = ()
    """With [tracking] clicks or opens on: (slot, original URL) of each counted link, by marker number."""
    tracking: TrackingSettings = TRACKING_OFF

    def plain(self) -> RenderedIssue:
        """The copy without a recipient (the web archive's links): what `digest build` renders,
        and what is linted and archived; byte for byte a render with those links. Counted links
        are their original URLs there, and the pixel and the honeypot are left out (the theme's
        elements around them, `_COUNTERS`): no reader of the archive is counted."""
        links = RecipientLinks.for_archive(self.anonymous.issue)
        gone = f"{self.markers.link}gone"
        originals = tuple(gone if slot in _NOT_LINKS else url for slot, url in self.tracked)
        values = RecipientValues("", links.unsubscribe, links.view_online, links.preferences, links=originals)
        plain = fill_markers(self.anonymous, self.markers, values)
        return replace(plain, html=re.sub(_COUNTERS.replace("GONE", gone), "", plain.html))

    def click_links(self, *, counting: bool = True) -> ClickLinks | None:
        if not self.tracked:
            return None
        issue = self.anonymous.issue
        return ClickLinks(
            issue_id=issue.issue_id,
            base_url=self.tracking.links_base(issue.newsletter.base_url),
            links=self.tracked,
            individual=self.tracking.individual,
            counting=counting,
        )


def render_for_delivery(
    issue: Issue, theme: Theme, tracking: TrackingSettings = TRACKING_OFF
) -> DeliveryRenders:
    """Render the theme twice (with and without a name), with markers for what differs."""
    markers = Markers.new()
    tracker = None
    if tracking.clicks or tracking.opens:
        honeypot = f"{tracking.links_base(issue.newsletter.base_url)}/"
        tracker = LinkTracker(
            markers.link, honeypot_url=honeypot, clicks=tracking.clicks, opens=tracking.opens
        )
    links = RecipientLinks(
        unsubscribe=markers.unsubscribe,
        view_online=markers.view_online,
        preferences=markers.preferences,
        tracker=tracker,
    )
    anonymous = render_issue(issue, theme, links)
    named = render_issue(issue, theme, replace(links, name=markers.name))
    tracked = tuple(tracker.links) if tracker is not None else ()
    return DeliveryRenders(
        named=named, anonymous=anonymous, markers=markers, tracked=tracked, tracking=tracking
    )
