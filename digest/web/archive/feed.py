"""The archive's Atom feed: one entry per issue, newest first, links relative to the feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator

from digest import __version__
from digest.deliver import SEND_TIME
from digest.model import Issue


def sent_at(issue: Issue) -> dt.datetime:
    """When the issue goes out: its date at the send time, in the newsletter's timezone."""
    return dt.datetime.combine(issue.date, SEND_TIME, tzinfo=ZoneInfo(issue.newsletter.timezone))


def entry_id(issue: Issue) -> str:
    # Atom ids must be absolute and never change: the issue's canonical web address.
    return f"{issue.newsletter.base_url}/issues/{issue.issue_id}/"


def atom_feed(issues: Sequence[tuple[Issue, str]], *, title: str, feed_id: str, index_href: str) -> bytes:
    """`issues` are (issue, page href relative to the feed), newest first. Same input, same bytes."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.link(href="feed.xml", rel="self", type="application/atom+xml")
    feed.link(href=index_href, rel="alternate", type="text/html")
    feed.generator("digest", version=__version__)
    if issues:
        feed.language(issues[0][0].newsletter.lang)
        feed.updated(max(sent_at(issue) for issue, _ in issues))
    else:
        feed.updated(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    for issue, href in issues:
        entry = feed.add_entry(order="append")
        entry.id(entry_id(issue))
        entry.title(issue.subject)
        entry.link(href=href, rel="alternate", type="text/html")
        entry.summary(issue.preheader)
        entry.author(name=issue.newsletter.name)
        entry.published(sent_at(issue))
        entry.updated(sent_at(issue))
    return feed.atom_str(pretty=True)
