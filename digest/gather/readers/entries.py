"""From one feed entry to a Story: the rules every feed format shares.

Readers (RSS/Atom, JSON Feed) translate their format into an :class:`Entry`; everything that is
a judgement (which kind, what the teaser says, what id the story gets; which image, in media.py;
how long a summary, in summary.py) is made here, so the formats cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from posixpath import splitext
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from digest.gather.readers.base import ReadContext, ReadResult
from digest.gather.readers.media import MediaItem, choose_image, secure_image
from digest.gather.readers.summary import SUMMARY_CHARACTERS, summary_blocks
from digest.markup import fold_whitespace, plain_title, sanitize_html, summary_text, teaser
from digest.model import Image, SourceRules, Story, StoryKind
from digest.urls import absolute_http_url, unwrap_redirect, without_tracking
from digest.words import slug

TITLE_FROM_SUMMARY = 90
LINE_CHARACTERS = SUMMARY_CHARACTERS
"""No line of a story (title, author, section, an image's alt, caption, credit) is longer than its
summary: a feed that puts megabytes in one is cut at a word, as its summary is cut to a blurb."""
_RAW_LINE_CHARACTERS = LINE_CHARACTERS * 64
"""Markup and entities included, more than any line worth keeping: the HTML parser reads no more."""
VIDEO_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "vimeo.com", "player.vimeo.com"}
)


def _plain(text: str) -> str:
    """plain_title, skipping the HTML parser for text that cannot hold a tag or an entity; cut at a
    word after LINE_CHARACTERS."""
    text = text[:_RAW_LINE_CHARACTERS]
    return teaser(plain_title(text) if "<" in text or "&" in text else text, LINE_CHARACTERS)


class UnusableEntry(Exception):
    """An entry that cannot become a story; the message is the reason the report counts."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry in the terms every format shares, before any judgement is made."""

    title: str
    link: str
    title_is_html: bool = True
    summary_html: str = ""
    """A short description (RSS description, Atom summary, JSON Feed summary as HTML)."""
    content_html: str = ""
    """The full text, where the feed carries it."""
    categories: tuple[str, ...] = ()
    author: str = ""
    published: dt.datetime | None = None
    media: tuple[MediaItem, ...] = ()
    base_url: str = ""
    """What relative links and image URLs resolve against."""
    video_id: str = ""
    """YouTube's yt:videoId, where present."""
    duration: int | None = None


def _is_video_link(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in VIDEO_HOSTS


def _duration_text(seconds: int | None) -> str:
    if not seconds or seconds < 0:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _matches_category(categories: Sequence[str], wanted: Sequence[str]) -> bool:
    folded = {fold_whitespace(c).casefold() for c in categories}
    return any(fold_whitespace(w).casefold() in folded for w in wanted)


_WORD = re.compile(r"[a-z]*[aeiouy][a-z]*")


def _reads_as_words(slug_text: str) -> bool:
    """A slug an editor can read and type: mostly words (`kremlin-recruits-central-asia`,
    `2025-01-ferry-timetable`), not a short code (`qd4-6p5xjjw`, `abc123`).

    >>> words = ("kremlin-recruits-central-asia", "world-in-60-2025-01-07", "qd4-6p5xjjw", "index")
    >>> [_reads_as_words(s) for s in words]
    [True, True, False, False]
    """
    parts = [part for part in slug_text.split("-") if not part.isdigit()]  # dates and numbers: neutral
    words = sum(1 for part in parts if len(part) >= 2 and _WORD.fullmatch(part))
    return words >= 2 and words > len(parts) - words


def story_id(url: str, title: str) -> str:
    """A readable id that stays put while the link does: the link's slug when it reads as words,
    else the title's (feeds whose links end in codes get ids an editor can type)."""
    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    from_link = slug(splitext(last)[0], max_length=80)
    if _reads_as_words(from_link):
        return from_link
    from_title = slug(title, max_length=60)
    if from_title:
        return from_title
    return "story-" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]


def story_from_entry(entry: Entry, rules: SourceRules, timezone: ZoneInfo, source_label: str) -> Story:
    """The entry as a story, one field at a time; :class:`UnusableEntry` says why it cannot be one."""
    link = _entry_link(entry, rules)
    summary = _entry_summary(entry, link)
    summary_plain = summary_text(summary)
    title = _entry_title(entry, summary)
    author = _plain(entry.author)
    sponsored = _is_sponsored(entry, rules, title, link)
    kind = _entry_kind(entry, link, sponsored=sponsored)
    return Story(
        id=story_id(link, title),
        title=title,
        url=link,
        summary=summary,
        image=_entry_image(entry, link, summary_plain),
        kind=kind,
        sponsor=_entry_sponsor(rules, author) if sponsored else "",
        published=_entry_published(entry, timezone),
        section=_entry_section(entry, rules),
        author=author,
        duration=_entry_duration(entry) if kind is StoryKind.VIDEO else "",
        source=source_label,
        teaser=teaser(summary_plain, rules.teaser_length),
        teaser_length=rules.teaser_length,
    )


def _entry_link(entry: Entry, rules: SourceRules) -> str:
    """The entry's own link: out of a known redirector's wrapping (Google Alerts), without trackers."""
    link = absolute_http_url(entry.link, entry.base_url)
    if not link:
        raise UnusableEntry("no http(s) link")
    return without_tracking(unwrap_redirect(link, rules.redirectors))


def _entry_summary(entry: Entry, link: str) -> str:
    """The short description, else the full text, sanitised and cut to a newsletter's blurb."""
    raw_summary = entry.summary_html or entry.content_html
    return summary_blocks(sanitize_html(raw_summary, base_url=entry.base_url or link))


def _entry_title(entry: Entry, summary: str) -> str:
    title = _plain(entry.title) if entry.title_is_html else teaser(entry.title, LINE_CHARACTERS)
    if not title:  # a title-less post (a microblog, a link post): its first words stand in
        title = teaser(summary_text(summary), TITLE_FROM_SUMMARY)
    if not title:
        raise UnusableEntry("no title")
    return title


def _entry_image(entry: Entry, link: str, summary_plain: str) -> Image | None:
    chosen = choose_image(entry.media, (entry.content_html, entry.summary_html), entry.base_url or link)
    if chosen is None:
        return None
    return Image(
        url=chosen.url,
        alt=_plain(chosen.title),
        credit=_plain(chosen.credit),
        caption=_caption(chosen, summary_plain),
        width=chosen.width,
    )


def _caption(item: MediaItem, summary_plain: str) -> str:
    caption = _plain(item.description)
    # YouTube's media:description is the video's description, already the summary: not a caption.
    if caption and summary_plain and (caption == summary_plain or summary_plain.startswith(caption)):
        return ""
    return caption


def _is_sponsored(entry: Entry, rules: SourceRules, title: str, link: str) -> bool:
    """The source's rules say so: by one of the entry's categories, or a pattern in its title or link."""
    if _matches_category(entry.categories, rules.sponsored_if_category):
        return True
    pattern = rules.sponsored_if_match
    return bool(pattern is not None and (pattern.search(title) or pattern.search(link)))


def _entry_kind(entry: Entry, link: str, *, sponsored: bool) -> StoryKind:
    if sponsored:
        return StoryKind.SPONSORED
    if entry.video_id or any(m.is_video for m in entry.media) or _is_video_link(link):
        return StoryKind.VIDEO
    return StoryKind.ARTICLE


def _entry_sponsor(rules: SourceRules, author: str) -> str:
    """The sponsor's name for a sponsored entry: the source's, else the entry's author."""
    sponsor = fold_whitespace(rules.sponsor) or author
    if not sponsor:
        raise UnusableEntry("sponsored, but no sponsor name (set sponsor for the source)")
    return sponsor


def _entry_published(entry: Entry, timezone: ZoneInfo) -> dt.datetime | None:
    """The entry's date; one without an offset is on the newsletter's clock."""
    published = entry.published
    if published is not None and published.tzinfo is None:
        return published.replace(tzinfo=timezone)
    return published


def _entry_section(entry: Entry, rules: SourceRules) -> str:
    """The source's section, else the entry's first category that is not a sponsorship marker."""
    sponsor_categories = {fold_whitespace(c).casefold() for c in rules.sponsored_if_category}
    categories = (_plain(c) for c in entry.categories)
    return fold_whitespace(rules.section) or next(
        (c for c in categories if c and c.casefold() not in sponsor_categories), ""
    )


def _entry_duration(entry: Entry) -> str:
    """A video's length as 4:32 or 1:04:32: the entry's own, else its first video's that has one."""
    seconds = entry.duration or next((m.duration for m in entry.media if m.is_video and m.duration), None)
    return _duration_text(seconds)


def keep_entry(result: ReadResult, context: ReadContext, entry: Entry) -> None:
    """Add the entry's story to ``result``, or count it as dropped: outside the window, or unusable."""
    if skipped := context.skip_reason(entry.published):
        result.dropped[skipped] += 1
        return
    try:
        story = story_from_entry(entry, context.source.rules, context.timezone, context.source.label)
    except UnusableEntry as e:
        result.dropped[str(e)] += 1
        return
    image, left_out = secure_image(story.image, context.source.rules.image_base)
    if left_out:
        result.insecure_images.append(left_out)
    result.stories.append(replace(story, image=image) if image is not story.image else story)


def parse_date(text: str) -> dt.datetime | None:
    """An RFC 822 (RSS) or ISO 8601 / RFC 3339 (Atom, JSON Feed) date, keeping its own offset."""
    text = fold_whitespace(text)
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
